package network

import (
	"strings"
	"testing"
)

// TestInspectTopLevelAddress: clients before API 1.52 read the default
// network's address at the top of NetworkSettings, as scripts do with
// `docker inspect -f '{{.NetworkSettings.IPAddress}}'`.
func TestInspectTopLevelAddress(t *testing.T) {
	d := startDaemon(t)
	id := d.tug("run", "-d", "bb", "sleep", "1000")
	perNetwork := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", id)
	if perNetwork == "" {
		t.Fatalf("no address on the bridge network")
	}
	if got := d.tug("inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}}", id); !strings.HasPrefix(got, perNetwork+" ") || len(strings.Fields(got)) != 2 {
		t.Errorf("top-level IPAddress Gateway = %q, want %s and a gateway", got, perNetwork)
	}
	r := d.Docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", id)
	if strings.TrimSpace(r.Stdout) != perNetwork {
		t.Errorf("docker inspect top-level IPAddress: %s", r)
	}
	d.tug("rm", "-f", id)
	d.checkNoLeaks()
}
