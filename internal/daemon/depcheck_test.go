package daemon

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestDepcheck asserts that the engine does not depend on the HTTP layer:
// internal/daemon exchanges types with the routers through
// internal/api/backend and imports no router, no server and no HTTP mux.
func TestDepcheck(t *testing.T) {
	const pkg = "github.com/tug-project/tug/internal/daemon"
	forbidden := []string{
		"github.com/tug-project/tug/internal/api/server",
		"github.com/tug-project/tug/internal/api/router",
		"github.com/gorilla/mux",
	}
	out, err := exec.Command("go", "list", "-deps", "-json=ImportPath", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	n := 0
	for dec.More() {
		var p struct{ ImportPath string }
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		n++
		for _, f := range forbidden {
			if p.ImportPath == f || strings.HasPrefix(p.ImportPath, f+"/") {
				t.Errorf("%s depends on %s: the engine must not import the HTTP layer", pkg, p.ImportPath)
			}
		}
	}
	if n == 0 {
		t.Fatalf("go list -deps %s listed nothing", pkg)
	}
}
