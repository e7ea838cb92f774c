package container

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// --network host shares the host's hostname and interfaces.
func TestRunNetworkHostSharesHostNamespace(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	host, _ := os.Hostname()
	r := d.Tug("run", "--rm", "--network", "host", "busybox", "hostname")
	if strings.TrimSpace(r.Stdout) != host {
		t.Errorf("hostname with --network host = %q, want %q", r.Stdout, host)
	}
	// The host's interfaces (other tests may add and remove veths meanwhile,
	// so look for the stable ones: loopback and the default route's).
	r = d.Tug("run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net")
	links := strings.Fields(r.Stdout)
	for _, want := range []string{"lo", defaultRouteLink(t)} {
		if want != "" && !slices.Contains(links, want) {
			t.Errorf("--network host sees %v, want %s among them", links, want)
		}
	}
}

// defaultRouteLink names the host's default route interface, or "".
func defaultRouteLink(t *testing.T) string {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 1 && f[1] == "00000000" {
			return f[0]
		}
	}
	return ""
}
