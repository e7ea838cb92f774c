package build

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// POST /build's extrahosts (--add-host) reach the RUN steps' /etc/hosts
// on every network mode, as with Docker; cachefrom is refused, not ignored.
func TestBuildAddHostAndCacheFrom(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN grep -E '^10\\.9\\.8\\.7\\s+db$' /etc/hosts && ping -c1 -W1 db | head -1 > /resolved || true\nRUN cat /resolved\n",
	})
	for _, c := range d.CLIs() {
		for _, network := range []string{"default", "none", "host"} {
			r := c.Run("", "build", "--no-cache", "--network", network, "--add-host", "db:10.9.8.7", "-t", "addhost", dir)
			if r.ExitCode != 0 || !strings.Contains(r.Stdout, "(10.9.8.7)") {
				t.Errorf("%s build --network %s --add-host: %s", c.Name, network, r)
			}
		}
		if r := c.Run("", "build", "--add-host", "db:not-an-ip", dir); r.ExitCode == 0 || !strings.Contains(r.Stderr, "add-host") {
			t.Errorf("%s build with a bad --add-host: %s", c.Name, r)
		}
		if r := c.Run("", "build", "--cache-from", "busybox", dir); r.ExitCode == 0 || !strings.Contains(r.Stderr, "cachefrom is not supported") {
			t.Errorf("%s build --cache-from: %s, want a clear refusal", c.Name, r)
		}
	}
	checkNoContainers(t, d)
}
