package monitor

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// removeCgroups removes each directory with its sub-directories (sub-cgroups)
// and takes a directory that is already gone as removed. Plain empty
// directories stand in for cgroups here (rmdir treats both alike).
func TestRemoveCgroupsRemovesSubCgroupsFirstAndIgnoresMissing(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "memory", "tug", "c1")
	b := filepath.Join(dir, "cpu", "tug", "c1")
	for _, d := range []string{filepath.Join(a, "sub", "subsub"), filepath.Join(a, "other"), b} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := removeCgroups([]string{a, b, filepath.Join(dir, "missing")}); err != nil {
		t.Fatalf("removeCgroups() = %v", err)
	}
	for _, d := range []string{a, b} {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left: %v", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "memory", "tug")); err != nil {
		t.Errorf("the parent went too: %v", err)
	}
}
