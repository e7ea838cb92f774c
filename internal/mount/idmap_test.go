package mount

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

func owner(t *testing.T, p string) (uint32, uint32) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

// An overlay with id-mapped lowers shows the layers' files shifted by the
// mapping, leaves the layers unchanged on disk, and copies a file up with
// its shifted owner.
func TestIDMappedOverlayShiftsLowersOnly(t *testing.T) {
	testutil.RequiresRoot(t)
	root := t.TempDir()
	lower, upper, work, target := filepath.Join(root, "lower"), filepath.Join(root, "upper"), filepath.Join(root, "work"), filepath.Join(root, "rootfs")
	for _, d := range []string{lower, upper, work, target} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, id := range map[string]int{"root-file": 0, "user-file": 1000} {
		p := filepath.Join(lower, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, id, id); err != nil {
			t.Fatal(err)
		}
	}
	m := &IDMap{UIDs: []IDRange{{0, 100000, 65536}}, GIDs: []IDRange{{0, 200000, 65536}}}
	opts := []string{"lowerdir=" + lower, "upperdir=" + upper, "workdir=" + work}
	if err := All([]Mount{{Type: "overlay", Source: "overlay", Options: opts, IDMap: m}}, target); err != nil {
		t.Fatalf("All() = %v", err)
	}
	t.Cleanup(func() { UnmountAll(target) })

	for _, tt := range []struct {
		name     string
		uid, gid uint32
	}{{"root-file", 100000, 200000}, {"user-file", 101000, 201000}} {
		if uid, gid := owner(t, filepath.Join(target, tt.name)); uid != tt.uid || gid != tt.gid {
			t.Errorf("%s through the overlay: owner %d:%d, want %d:%d", tt.name, uid, gid, tt.uid, tt.gid)
		}
	}
	if uid, _ := owner(t, filepath.Join(lower, "root-file")); uid != 0 {
		t.Errorf("layer file owner changed on disk: %d", uid)
	}
	// A write copies the file up, owned as the overlay showed it.
	if err := os.WriteFile(filepath.Join(target, "user-file"), []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	if uid, gid := owner(t, filepath.Join(upper, "user-file")); uid != 101000 || gid != 201000 {
		t.Errorf("copied-up file in upper: owner %d:%d, want 101000:201000", uid, gid)
	}
	if err := UnmountAll(target); err != nil {
		t.Fatalf("UnmountAll() = %v", err)
	}
	if mounted(t, target) {
		t.Fatal("target still mounted")
	}
}

// Where id-mapped mounts work, the check says so; a path that does not
// exist is an error naming it.
func TestCheckIDMap(t *testing.T) {
	testutil.RequiresRoot(t)
	m := IDMap{UIDs: []IDRange{{0, 100000, 65536}}, GIDs: []IDRange{{0, 100000, 65536}}}
	if err := CheckIDMap(t.TempDir(), m); err != nil {
		t.Fatalf("CheckIDMap(temp dir) = %v", err)
	}
	if err := CheckIDMap("/nonexistent/dir", m); err == nil || !strings.Contains(err.Error(), "/nonexistent/dir") {
		t.Fatalf("CheckIDMap(missing) = %v", err)
	}
}
