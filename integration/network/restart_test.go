package network

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/tug-project/tug/internal/network/bridge"
	"github.com/tug-project/tug/internal/testutil"
)

// Published ports keep serving while tugd is down (SIGKILL or clean
// stop), running containers keep their addresses after it restarts, the
// embedded DNS comes back, and stale leftovers are removed.
func TestRestartReconciliation(t *testing.T) {
	d := startDaemon(t)
	hp := testutil.FreePort(t, "tcp")
	d.tug(append([]string{"run", "-d", "--name", "web", "-p", fmt.Sprintf("%d:80", hp), "bb"}, httpdCmd...)...)
	d.tug("network", "create", "rn")
	t.Cleanup(func() { d.Tug("network", "rm", "rn") })
	d.tug("run", "-d", "--name", "named", "--network", "rn", "--network-alias", "al", "bb", "sleep", "300")
	url := fmt.Sprintf("http://127.0.0.1:%d/", hp)
	httpGet(t, url)
	ipBefore := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "web")

	d.Kill()
	if got := httpGet(t, url); got != "hello\n" {
		t.Errorf("while tugd is down: body %q", got)
	}
	// Leftovers of containers that are gone: a veth on the bridge and a
	// namespace mount.
	br, err := netlink.LinkByName(d.bridge)
	if err != nil {
		t.Fatal(err)
	}
	stale := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: bridge.VethPrefix + "deadbeef", MasterIndex: br.Attrs().Index}, PeerName: "tugcdeadbeef"}
	if err := netlink.LinkAdd(stale); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bridge.DeleteLink(stale.Name) })
	staleNS := filepath.Join(d.ExecRoot, "netns", "stale")
	if err := bridge.NewNetNS(staleNS); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bridge.DeleteNetNS(staleNS) })

	d.Start()
	if got := httpGet(t, url); got != "hello\n" {
		t.Errorf("after restart: body %q", got)
	}
	if ip := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "web"); ip != ipBefore {
		t.Errorf("address after restart = %s, want %s", ip, ipBefore)
	}
	if bridge.Exists(stale.Name) {
		t.Errorf("stale veth %s not removed", stale.Name)
	}
	if _, err := os.Stat(staleNS); !os.IsNotExist(err) {
		t.Errorf("stale namespace %s not removed: %v", staleNS, err)
	}
	out := d.tug("run", "--rm", "--network", "rn", "--dns", "127.0.0.1", "bb", "nslookup", "al")
	if !strings.Contains(out, "Name:\tal") {
		t.Errorf("embedded DNS after restart: %s", out)
	}

	// A clean stop leaves running containers' networking alone.
	d.Stop()
	if got := httpGet(t, url); got != "hello\n" {
		t.Errorf("after a clean stop: body %q", got)
	}
	d.Start()
	d.tug("rm", "-f", "web", "named")
	d.tug("network", "rm", "rn")
	d.checkNoLeaks()
}
