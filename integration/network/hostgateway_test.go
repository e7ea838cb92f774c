package network

import (
	"strings"
	"testing"
)

// --add-host NAME:host-gateway names the default bridge's gateway, the
// host as containers see it, on every network as in Docker; the docker
// CLI's form works too.
func TestAddHostGateway(t *testing.T) {
	d := startDaemon(t)
	gw := d.tug("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", "bridge")
	if out := d.tug("run", "--rm", "--add-host", "gw:host-gateway", "bb", "sh", "-c", "grep -w gw /etc/hosts && ping -c1 -W5 gw"); !strings.Contains(out, gw+"\tgw") || !strings.Contains(out, "1 packets received") {
		t.Errorf("default bridge: want %s for gw, reachable:\n%s", gw, out)
	}
	d.tug("network", "create", "hgnet")
	t.Cleanup(func() { d.Tug("network", "rm", "hgnet") })
	if out := d.tug("run", "--rm", "--network", "hgnet", "--dns", "127.0.0.1", "--add-host", "gw:host-gateway", "bb", "grep", "-w", "gw", "/etc/hosts"); out != gw+"\tgw" {
		t.Errorf("user network: /etc/hosts line %q, want %s\\tgw", out, gw)
	}
	if out := d.tug("run", "--rm", "--network", "host", "--add-host", "gw:host-gateway", "bb", "grep", "-w", "gw", "/etc/hosts"); out != gw+"\tgw" {
		t.Errorf("host network: /etc/hosts line %q, want %s\tgw after the host's own", out, gw)
	}
	if r := d.Docker("run", "--rm", "--add-host", "host.docker.internal:host-gateway", "bb", "grep", "host.docker.internal", "/etc/hosts"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != gw+"\thost.docker.internal" {
		t.Errorf("docker run --add-host host.docker.internal:host-gateway: %s", r)
	}
	d.tug("network", "rm", "hgnet")
	d.checkNoLeaks()
}
