package overlay

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/testutil"
)

func TestChainIDs(t *testing.T) {
	a := digest.Digest("sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4")
	b := digest.Digest("sha256:2aaf13f1eb1d5b2cf6a2d9a2cbe69d8c3aa0dd0c5de6bde2b5dcdbcbd89fc1ae")
	tests := []struct {
		name    string
		diffIDs []digest.Digest
		want    []digest.Digest
	}{
		{"empty", nil, []digest.Digest{}},
		{"one", []digest.Digest{a}, []digest.Digest{a}},
		{"two", []digest.Digest{a, b}, []digest.Digest{a, digest.FromString(a.String() + " " + b.String())}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ChainIDs(tt.diffIDs)); diff != "" {
				t.Fatalf("ChainIDs() mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// A known value (Docker's busybox-style 3-layer example computed by
	// hand): chain(a,b,a) = sha256(chain(a,b) + " " + a).
	c3 := ChainIDs([]digest.Digest{a, b, a})[2]
	if want := digest.FromString(ChainID(a, b).String() + " " + a.String()); c3 != want {
		t.Fatalf("ChainIDs()[2] = %v, want %v", c3, want)
	}
}

type tent struct {
	name, body, link string
	typ              byte
}

func mkTar(t *testing.T, entries ...tent) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o755}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.body))
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	return buf.Bytes()
}

func mountRootfs(t *testing.T, mounts []mount.Mount) string {
	t.Helper()
	target := t.TempDir()
	if err := mount.All(mounts, target); err != nil {
		t.Fatalf("mount.All() = %v", err)
	}
	t.Cleanup(func() { mount.UnmountAll(target) })
	return target
}

func isMounted(t *testing.T, target string) bool {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	return strings.Contains(string(b), " "+target+" ")
}

func TestBusyboxOverlay(t *testing.T) {
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
	if l.ChainID != l.DiffID || l.Parent != "" {
		t.Fatalf("Apply() = %+v: base layer chain ID must be its diffID", l)
	}
	mounts, err := s.Prepare(ctx, "c1", l.ChainID)
	if err != nil {
		t.Fatalf("Prepare() = %v", err)
	}
	target := mountRootfs(t, mounts)
	if fi, err := os.Stat(filepath.Join(target, "bin/busybox")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("bin/busybox: %v %v", fi, err)
	}
	if err := os.WriteFile(filepath.Join(target, "new"), []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := s.Usage("c1"); n != 5 {
		t.Fatalf("Usage() = %d, want 5", n)
	}
	if err := s.RemoveLayer(ctx, l.ChainID); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("RemoveLayer() with a container on it = %v, want conflict", err)
	}
	if err := mount.UnmountAll(target); err != nil {
		t.Fatalf("UnmountAll() = %v", err)
	}
	if isMounted(t, target) {
		t.Fatal("rootfs still mounted")
	}
	if err := s.Remove(ctx, "c1"); err != nil {
		t.Fatalf("Remove() = %v", err)
	}
	if err := s.RemoveLayer(ctx, l.ChainID); err != nil {
		t.Fatalf("RemoveLayer() = %v", err)
	}
	if s.Exists(l.ChainID) {
		t.Fatal("layer still exists")
	}
	for _, d := range []string{"snapshots", "containers", "tmp"} {
		if e, _ := os.ReadDir(filepath.Join(s.root, d)); len(e) != 0 {
			t.Fatalf("%s not empty: %v", d, e)
		}
	}
}

func TestWhiteoutsThroughOverlay(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Apply(ctx, "", "", bytes.NewReader(mkTar(t,
		tent{name: "etc/", typ: tar.TypeDir},
		tent{name: "etc/gone", body: "x"},
		tent{name: "etc/kept", body: "k"},
		tent{name: "data/", typ: tar.TypeDir},
		tent{name: "data/old1", body: "1"},
		tent{name: "data/old2", body: "2"},
	)))
	if err != nil {
		t.Fatal(err)
	}
	top, err := s.Apply(ctx, base.ChainID, "", bytes.NewReader(mkTar(t,
		tent{name: "etc/", typ: tar.TypeDir},
		tent{name: "etc/.wh.gone"},
		tent{name: "data/", typ: tar.TypeDir},
		tent{name: "data/.wh..wh..opq"},
		tent{name: "data/new", body: "n"},
	)))
	if err != nil {
		t.Fatal(err)
	}
	if top.ChainID != ChainID(base.ChainID, top.DiffID) || top.Parent != base.ChainID {
		t.Fatalf("top layer = %+v", top)
	}
	if err := s.RemoveLayer(ctx, base.ChainID); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("RemoveLayer(base) with a child = %v, want conflict", err)
	}
	mounts, err := s.Prepare(ctx, "c2", top.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Remove(ctx, "c2") })
	if got := mounts[0].Options; !strings.Contains(strings.Join(got, ","), "lowerdir="+filepath.Join(s.root, "containers", "c2", "init")+":"+s.LayerFS(top.ChainID)+":"+s.LayerFS(base.ChainID)+",") {
		t.Fatalf("mount options %v: want the init layer, then the top layer first", got)
	}
	target := mountRootfs(t, mounts)
	ls := func(d string) []string {
		e, err := os.ReadDir(filepath.Join(target, d))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range e {
			names = append(names, x.Name())
		}
		return names
	}
	// The init layer's mount points are there besides the kept file.
	if diff := cmp.Diff([]string{"hostname", "hosts", "kept", "resolv.conf"}, ls("etc")); diff != "" {
		t.Fatalf("etc (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"new"}, ls("data")); diff != "" {
		t.Fatalf("data (-want +got):\n%s", diff)
	}
}

func TestApplyConcurrentOnce(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := mkTar(t, tent{name: "f", body: "x"})
	diffID := digest.FromBytes(data)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Apply(ctx, "", diffID, bytes.NewReader(data))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Apply() = %v", err)
		}
	}
	if _, err := s.Apply(ctx, "", digest.FromString("wrong"), bytes.NewReader(data)); err == nil {
		t.Fatal("Apply() with a wrong diffID succeeded")
	}
	layers, _ := s.Layers(ctx)
	if len(layers) != 1 {
		t.Fatalf("Layers() = %v, want one", layers)
	}
}

func TestPrepareNoLayers(t *testing.T) {
	ctx := context.Background()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := s.Prepare(ctx, "c", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(mounts[0].Options, ","), "lowerdir="+filepath.Join(s.root, "containers", "c", "init")+",") {
		t.Fatalf("Prepare() = %v, want the init layer as the only lower dir", mounts)
	}
	if _, err := s.Prepare(ctx, "c", ""); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("Prepare() twice = %v, want conflict", err)
	}
	if _, err := s.Prepare(ctx, "d", digest.FromString("nope")); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Prepare() on missing parent = %v, want not found", err)
	}
	if _, err := s.Prepare(ctx, "../x", ""); !errors.Is(err, errdefs.ErrInvalidParameter) {
		t.Fatalf("Prepare(../x) = %v, want invalid", err)
	}
}
