package testutil

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// Deps returns the import paths of pattern's packages and of everything
// they import, transitively (`go list -deps`), for dependency tests.
func Deps(t testing.TB, pattern string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-json=ImportPath", pattern).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pattern, err)
	}
	var paths []string
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct{ ImportPath string }
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list -deps %s: %v", pattern, err)
		}
		paths = append(paths, p.ImportPath)
	}
	if len(paths) == 0 {
		t.Fatalf("go list -deps %s listed nothing", pattern)
	}
	return paths
}
