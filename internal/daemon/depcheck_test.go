package daemon

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// TestDaemonDoesNotImportTheHTTPLayer asserts that the engine does not
// depend on the HTTP layer: internal/daemon exchanges types with the
// routers through internal/api/backend and imports no router, no server
// and no HTTP mux, directly or not.
func TestDaemonDoesNotImportTheHTTPLayer(t *testing.T) {
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

// TestDaemonDoesNotImportTheCRILayer asserts the same of the CRI server:
// it calls the daemon (through the small interfaces of internal/cri), never
// the other way round, and no gRPC reaches the engine.
func TestDaemonDoesNotImportTheCRILayer(t *testing.T) {
	const pkg = "github.com/tug-project/tug/internal/daemon"
	forbidden := []string{
		"github.com/tug-project/tug/internal/cri",
		"k8s.io/cri-api",
		"google.golang.org/grpc",
	}
	for _, path := range testutil.Deps(t, pkg) {
		for _, f := range forbidden {
			if path == f || strings.HasPrefix(path, f+"/") {
				t.Errorf("%s depends on %s: the engine must not import the CRI layer", pkg, path)
			}
		}
	}
}

// TestDaemonLeavesNetworkingToTheController asserts that the daemon
// package reaches the kernel's networking only through
// internal/network/controller: it imports none of the packages that do.
// (It still depends on them through the controller, and on netlink
// through runc's libcontainer.)
func TestDaemonLeavesNetworkingToTheController(t *testing.T) {
	forbidden := []string{
		"github.com/tug-project/tug/internal/network/bridge",
		"github.com/tug-project/tug/internal/network/portmap",
		"github.com/tug-project/tug/internal/network/dns",
		"github.com/vishvananda/",
		"github.com/google/nftables",
		"github.com/miekg/dns",
	}
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, path := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(path, f) {
				t.Errorf("internal/daemon imports %s: networking belongs to internal/network/controller", path)
			}
		}
	}
}
