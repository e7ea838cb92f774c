package mount

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tug-project/tug/internal/testutil"
)

func TestCompactLowerdir(t *testing.T) {
	tests := []struct {
		name    string
		opts    []string
		wantDir string
		want    []string
	}{
		{"no lowerdir", []string{"ro"}, "", []string{"ro"}},
		{"siblings",
			[]string{"index=off", "lowerdir=/var/lib/tug/snapshots/aa/fs:/var/lib/tug/snapshots/bb/fs", "upperdir=/u", "workdir=/w"},
			"/var/lib/tug/snapshots",
			[]string{"index=off", "lowerdir=aa/fs:bb/fs", "upperdir=/u", "workdir=/w"}},
		{"nothing in common", []string{"lowerdir=/a/x:/b/y"}, "", []string{"lowerdir=/a/x:/b/y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, got := compactLowerdir(tt.opts)
			if dir != tt.wantDir {
				t.Fatalf("compactLowerdir() dir = %q, want %q", dir, tt.wantDir)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("compactLowerdir() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func mounted(t *testing.T, target string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[4] == target {
			return true
		}
	}
	return false
}

func TestOverlayLongOptions(t *testing.T) {
	testutil.RequiresRoot(t)
	for _, n := range []int{50, 200} { // relative lowerdirs fit a page; they do not
		t.Run(fmt.Sprint(n), func(t *testing.T) { testOverlayLayers(t, n) })
	}
}

func testOverlayLayers(t *testing.T, n int) {
	root := t.TempDir()
	var lowers []string
	for i := 0; i < n; i++ {
		d := filepath.Join(root, "snapshots", fmt.Sprintf("%064x", i), "fs")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		lowers = append(lowers, d)
	}
	upper, work, target := filepath.Join(root, "upper"), filepath.Join(root, "work"), filepath.Join(root, "rootfs")
	for _, d := range []string{upper, work, target} {
		os.MkdirAll(d, 0o755)
	}
	opts := []string{"lowerdir=" + strings.Join(lowers, ":"), "upperdir=" + upper, "workdir=" + work}
	if n := len(strings.Join(opts, ",")); n < os.Getpagesize() {
		t.Fatalf("options only %d bytes; test needs > a page", n)
	}
	if err := All([]Mount{{Type: "overlay", Source: "overlay", Options: opts}}, target); err != nil {
		t.Fatalf("All() = %v", err)
	}
	t.Cleanup(func() { UnmountAll(target) })
	for _, f := range []string{"f0", fmt.Sprintf("f%d", n-1)} {
		if _, err := os.Stat(filepath.Join(target, f)); err != nil {
			t.Fatalf("%s not visible: %v", f, err)
		}
	}
	if err := UnmountAll(target); err != nil {
		t.Fatalf("UnmountAll() = %v", err)
	}
	if mounted(t, target) {
		t.Fatal("target still mounted")
	}
	if err := UnmountAll(target); err != nil {
		t.Fatalf("UnmountAll() on unmounted = %v", err)
	}
	if err := UnmountAll(filepath.Join(root, "missing")); err != nil {
		t.Fatalf("UnmountAll() on missing = %v", err)
	}
}

func TestStackedAndBusy(t *testing.T) {
	testutil.RequiresRoot(t)
	target := t.TempDir()
	for i := 0; i < 3; i++ {
		if err := All([]Mount{{Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "size=1m"}}}, target); err != nil {
			t.Fatalf("All() = %v", err)
		}
	}
	// Hold the mount busy with an open fd: MNT_DETACH must clear it.
	f, err := os.Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := UnmountAll(target); err != nil {
		t.Fatalf("UnmountAll() = %v", err)
	}
	if mounted(t, target) {
		t.Fatal("target still mounted")
	}
}
