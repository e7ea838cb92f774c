package volume

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tug-project/tug/internal/errdefs"
)

func TestWritableAtAsksTheInnermostMount(t *testing.T) {
	mps := []MountPoint{
		{Destination: "/data", RW: true},
		{Destination: "/data/ro", RW: false},
		{Destination: "/conf", RW: false},
	}
	tests := []struct {
		path       string
		readonlyFS bool
		writable   bool
	}{
		{"/data/x", false, true},
		{"/data/ro/x", false, false},
		{"/data/rox", false, true},
		{"/conf", false, false},
		{"/tmp/x", false, true},
		{"/tmp/x", true, false},
		{"/data/x", true, true},
		{"data/../conf/x", false, false},
	}
	for _, tc := range tests {
		err := WritableAt(mps, tc.path, tc.readonlyFS)
		if got := err == nil; got != tc.writable {
			t.Errorf("WritableAt(%q, read-only rootfs %v) = %v, want writable %v", tc.path, tc.readonlyFS, err, tc.writable)
		}
		if err != nil && !errors.Is(err, errdefs.ErrInvalidParameter) {
			t.Errorf("WritableAt(%q) = %v, want an invalid-parameter error", tc.path, err)
		}
	}
}

func TestSubpathStaysInsideTheVolume(t *testing.T) {
	vol := t.TempDir()
	if err := os.MkdirAll(filepath.Join(vol, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(vol, "out")); err != nil {
		t.Fatal(err)
	}
	if p, err := Subpath(vol, "a/b"); err != nil || p != filepath.Join(vol, "a", "b") {
		t.Errorf("Subpath(a/b) = %q, %v; want the directory inside the volume", p, err)
	}
	if p, err := Subpath(vol, ""); err != nil || p != vol {
		t.Errorf("Subpath(\"\") = %q, %v; want the volume itself", p, err)
	}
	for _, sub := range []string{"missing", "out", "../.."} {
		if _, err := Subpath(vol, sub); !errors.Is(err, errdefs.ErrInvalidParameter) {
			t.Errorf("Subpath(%q) = %v, want an invalid-parameter error", sub, err)
		}
	}
}
