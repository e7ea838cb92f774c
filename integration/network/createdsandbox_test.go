package network

import (
	"strings"
	"testing"
)

// A container created on the default bridge with nothing asked of its
// endpoint has no network state recorded at create (it is derived from
// its network mode): inspect still shows it on the bridge network, and
// `network connect` and `disconnect` before its start act on that
// derived endpoint as on a recorded one.
func TestCreatedDefaultBridgeContainerConnectsAndDisconnects(t *testing.T) {
	d := startDaemon(t)
	netID := d.tug("network", "inspect", "-f", "{{.Id}}", "bridge")
	d.tug("network", "create", "cs")
	t.Cleanup(func() { d.Tug("network", "rm", "cs") })

	d.tug("create", "--name", "both", "bb", "sleep", "300")
	if got := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.NetworkID}}", "both"); got != netID {
		t.Errorf("created container's bridge NetworkID = %q, want %q", got, netID)
	}
	d.tug("network", "connect", "cs", "both")
	d.tug("start", "both")
	nets := d.tug("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}", "both")
	if !strings.Contains(nets, "bridge=172.") || !strings.Contains(nets, "cs=") || strings.Contains(nets, "cs= ") {
		t.Errorf("networks after connect and start: %q, want an address on bridge and on cs", nets)
	}

	d.tug("create", "--name", "none-left", "bb", "sleep", "300")
	d.tug("network", "disconnect", "bridge", "none-left")
	d.tug("start", "none-left")
	if nets := d.tug("inspect", "-f", "{{len .NetworkSettings.Networks}}", "none-left"); nets != "0" {
		t.Errorf("networks after disconnect and start: %s, want none", nets)
	}
	if out := d.tug("exec", "none-left", "ip", "-o", "link"); strings.Contains(out, "eth0") {
		t.Errorf("links in a container disconnected from its only network: %s", out)
	}

	d.tug("rm", "-f", "both", "none-left")
	d.tug("network", "rm", "cs")
	d.checkNoLeaks()
}
