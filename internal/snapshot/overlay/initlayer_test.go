package overlay

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/testutil"
)

func TestPreparedRootfsHasTheInitLayerMountpoints(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Apply(ctx, "", "", bytes.NewReader(testutil.BusyboxTar(t)))
	if err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	mounts, err := s.Prepare(ctx, "c1", l.ChainID)
	if err != nil {
		t.Fatalf("Prepare() = %v", err)
	}
	target := mountRootfs(t, mounts)
	defer func() { _ = mount.UnmountAll(target) }()
	for _, p := range []string{"etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv", "proc", "sys", "dev/pts", "dev/shm", "bin/busybox"} {
		if _, err := os.Lstat(filepath.Join(target, p)); err != nil {
			t.Errorf("rootfs lacks /%s: %v", p, err)
		}
	}
	if err := os.WriteFile(filepath.Join(target, "etc", "app.conf"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := s.Changes(ctx, "c1")
	if err != nil {
		t.Fatalf("Changes() = %v", err)
	}
	want := []Change{{ChangeModify, "/etc"}, {ChangeAdd, "/etc/app.conf"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Changes() diff (-want +got), the init layer's paths must not show:\n%s", d)
	}
	if e, _ := os.ReadDir(filepath.Join(s.root, "containers", "c1", "upper")); len(e) != 1 {
		t.Errorf("upper dir holds %v, want only etc", e)
	}
}

// Every snapshot has the one init layer of the snapshotter, which outlives
// their removal; a snapshotter opened again completes it if a crash left
// it short.
func TestSnapshotsShareOneInitLayer(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"c1", "c2"} {
		if _, err := s.Prepare(ctx, key, ""); err != nil {
			t.Fatal(err)
		}
	}
	shared, err := os.Stat(filepath.Join(root, "init"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"c1", "c2"} {
		if fi, err := os.Stat(filepath.Join(root, "containers", key, "init")); err != nil || !os.SameFile(fi, shared) {
			t.Errorf("%s's init layer: %v, %v; want the shared %s", key, fi, err, filepath.Join(root, "init"))
		}
	}
	if err := s.Remove(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "containers", "c2", "init", "etc", "hosts")); err != nil {
		t.Errorf("c2's init layer after c1's removal: %v", err)
	}

	if err := os.Remove(filepath.Join(root, "init", "etc", "hosts")); err != nil {
		t.Fatal(err)
	}
	if _, err := New(root); err != nil {
		t.Fatal(err)
	}
	for _, p := range append(slices.Clone(initDirs), initFiles...) {
		if _, err := os.Lstat(filepath.Join(root, "init", p)); err != nil {
			t.Errorf("init layer after a reopen lacks %s: %v", p, err)
		}
	}
}
