package cli

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// TestDepcheck asserts that the CLI is a thin client: cmd/tug and
// internal/cli import no tug package outside internal/cli, and none of the
// engine's libraries.
func TestDepcheck(t *testing.T) {
	const module = "github.com/tug-project/tug/"
	forbidden := []string{
		"github.com/opencontainers/runc",
		"github.com/opencontainers/cgroups",
		"go.etcd.io/bbolt",
		"github.com/vishvananda/",
		"github.com/google/go-containerregistry",
		"github.com/creack/pty",
		"github.com/gorilla/mux",
	}
	for _, root := range []string{"github.com/tug-project/tug/cmd/tug", "github.com/tug-project/tug/internal/cli/..."} {
		for _, path := range testutil.Deps(t, root) {
			if strings.HasPrefix(path, module) {
				rel := strings.TrimPrefix(path, module)
				if rel != "cmd/tug" && rel != "internal/cli" && !strings.HasPrefix(rel, "internal/cli/") {
					t.Errorf("%s depends on %s: the CLI must not import tug's engine", root, path)
				}
				continue
			}
			for _, f := range forbidden {
				if strings.HasPrefix(path, f) {
					t.Errorf("%s depends on engine library %s", root, path)
				}
			}
		}
	}
}
