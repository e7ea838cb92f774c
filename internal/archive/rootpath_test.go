package archive

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestResolvePathStaysInsideTheRootAndKeepsTrailingSlashes(t *testing.T) {
	tests := []struct{ path, resolved, abs string }{
		{"/etc/passwd", "/r/etc/passwd", "/etc/passwd"},
		{"etc/", "/r/etc/", "/etc/"},
		{"/etc/.", "/r/etc/.", "/etc/."},
		{"/../../etc/x", "/r/etc/x", "/etc/x"},
		{"/", "/r/", "/"},
	}
	for _, tc := range tests {
		resolved, abs, err := resolvePath("/r", tc.path)
		if err != nil || resolved != tc.resolved || abs != tc.abs {
			t.Errorf("resolvePath(/r, %q) = %q, %q, %v; want %q, %q", tc.path, resolved, abs, err, tc.resolved, tc.abs)
		}
	}
}

func TestStatPathEvaluatesSymlinksInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	// An absolute link target means the root's /data, not the host's.
	if err := os.Symlink("/data", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	st, err := StatPath(root, "/link")
	if err != nil {
		t.Fatalf("StatPath(/link) = %v", err)
	}
	if st.Name != "link" || st.LinkTarget != "/data" || st.Mode&os.ModeSymlink == 0 {
		t.Errorf("StatPath(/link) = %+v, want a symlink named link to /data", st)
	}
	_, err = StatPath(root, "/missing")
	var pe *fs.PathError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) || pe.Path != "/missing" {
		t.Errorf("StatPath(/missing) = %v, want a not-exist error naming /missing", err)
	}
}

func TestResolveDirRefusesAFile(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveDir(root, "/f"); !errors.Is(err, ErrNotDir) {
		t.Errorf("ResolveDir(/f) = %v, want ErrNotDir", err)
	}
	if _, err := ResolveDir(root, "/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ResolveDir(/nope) = %v, want not exist", err)
	}
	if dir, err := ResolveDir(root, "/../.."); err != nil || dir != root {
		t.Errorf("ResolveDir(/../..) = %q, %v; want the root itself", dir, err)
	}
}
