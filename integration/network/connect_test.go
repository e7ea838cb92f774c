package network

import (
	"strings"
	"testing"
)

// A running container connected to a user network resolves the names
// there at once, and is resolved by them, under its name and aliases;
// disconnected, neither is true any more. No restart is needed.
func TestConnectRunningContainerResolvesAtOnce(t *testing.T) {
	d := startDaemon(t)
	d.tug("network", "create", "front")
	t.Cleanup(func() { d.Tug("network", "rm", "front") })
	d.tug("run", "-d", "--name", "web", "--network", "front", "--dns", "127.0.0.1", "bb", "sleep", "60")
	// On the default bridge: no resolver of its own.
	d.tug("run", "-d", "--name", "late", "--dns", "127.0.0.1", "bb", "sleep", "60")
	if r := d.Tug("exec", "late", "nslookup", "web"); r.ExitCode == 0 {
		t.Fatalf("late resolved web before connecting: %s", r)
	}

	d.tug("network", "connect", "--alias", "lateral", "front", "late")
	lateIP := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.front.IPAddress}}", "late")
	webIP := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.front.IPAddress}}", "web")
	if out := d.tug("exec", "late", "cat", "/etc/resolv.conf"); !strings.Contains(out, "nameserver 127.0.0.11") {
		t.Errorf("resolv.conf of the connected container:\n%s", out)
	}
	for _, name := range []string{"late", "lateral"} {
		if out := d.tug("exec", "web", "nslookup", name); !strings.Contains(out, "Address: "+lateIP) {
			t.Errorf("web looking up %s after connect:\n%s", name, out)
		}
	}
	if out := d.tug("exec", "late", "nslookup", "web"); !strings.Contains(out, "Address: "+webIP) {
		t.Errorf("late looking up web after connect:\n%s", out)
	}

	d.tug("network", "disconnect", "front", "late")
	for _, name := range []string{"late", "lateral"} {
		if r := d.Tug("exec", "web", "nslookup", name); r.ExitCode == 0 {
			t.Errorf("web still resolves %s after disconnect: %s", name, r)
		}
	}
	if r := d.Tug("exec", "late", "nslookup", "web"); r.ExitCode == 0 {
		t.Errorf("late still resolves web after disconnect: %s", r)
	}
	d.tug("rm", "-f", "web", "late")
	d.checkNoLeaks()
}
