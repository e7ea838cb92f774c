package network

import (
	"testing"

	"github.com/tug-project/tug/internal/network/bridge"
)

// The address, veth and namespace of a container on the default bridge
// live in the runtime network state, written without an fsync: a tugd
// killed with SIGKILL right after the start still knows them when it
// restarts (the container keeps its address, no other container gets
// it, its veth is not taken for a stale one), and frees them when the
// container is removed.
func TestDefaultBridgeAddressSurvivesSIGKILL(t *testing.T) {
	d := startDaemon(t)
	d.tug("run", "-d", "--name", "c1", "bb", "sleep", "300")
	ip := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "c1")
	veth := "" // the host side, found on the bridge
	if vs, err := bridge.Veths(d.bridge); err != nil || len(vs) != 1 {
		t.Fatalf("veths on %s: %v, %v, want one", d.bridge, vs, err)
	} else {
		veth = vs[0]
	}

	d.Kill()
	d.Start()
	if got := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "c1"); got != ip {
		t.Errorf("address after SIGKILL and restart = %q, want %q", got, ip)
	}
	if !bridge.Exists(veth) {
		t.Errorf("veth %s of the running container removed at restart", veth)
	}
	d.tug("run", "-d", "--name", "c2", "bb", "sleep", "300")
	if ip2 := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "c2"); ip2 == ip {
		t.Errorf("second container got %s, the address of the first", ip2)
	}
	if out := d.tug("run", "--rm", "bb", "ping", "-c", "1", "-W", "2", ip); out == "" {
		t.Errorf("ping %s from a new container: no output", ip)
	}

	d.tug("rm", "-f", "c1", "c2")
	d.checkNoLeaks()
}
