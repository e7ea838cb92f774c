package daemon

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
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
	for _, path := range testutil.Deps(t, pkg) {
		for _, f := range forbidden {
			if path == f || strings.HasPrefix(path, f+"/") {
				t.Errorf("%s depends on %s: the engine must not import the HTTP layer", pkg, path)
			}
		}
	}
}
