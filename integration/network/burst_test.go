package network

import (
	"fmt"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// A burst of network creates and container starts on them does not fail
// on a netlink dump that overflowed (ENOBUFS) or was interrupted: dumps
// are retried.
func TestNetworkCreateBurstSurvivesNetlinkENOBUFS(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	const n = 15
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("burst%d", i)
		if r := d.Tug("network", "create", name); r.ExitCode != 0 {
			t.Fatalf("network create %s (%d of %d): %s", name, i+1, n, r)
		}
		if r := d.Tug("run", "-d", "--name", "c"+name, "--network", name, "--dns", "127.0.0.1", "busybox", "sleep", "1000"); r.ExitCode != 0 {
			t.Fatalf("run -d on %s (%d of %d): %s", name, i+1, n, r)
		}
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("burst%d", i)
		if r := d.Tug("rm", "-f", "c"+name); r.ExitCode != 0 {
			t.Errorf("rm -f c%s: %s", name, r)
		}
		if r := d.Tug("network", "rm", name); r.ExitCode != 0 {
			t.Errorf("network rm %s: %s", name, r)
		}
	}
}
