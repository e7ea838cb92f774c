package network

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// A container on the default bridge gets an address in the bridge's
// subnet, a default route via the gateway it can reach, a MAC derived
// from its address, /etc/hosts with its name, and --dns in resolv.conf.
func TestDefaultBridge(t *testing.T) {
	d := startDaemon(t)
	id := d.tug("run", "-d", "bb", "sleep", "60")
	res, err := d.Client.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns := res.Container.NetworkSettings
	ep := ns.Networks["bridge"]
	if ep == nil || !ep.IPAddress.IsValid() || !ep.Gateway.IsValid() {
		t.Fatalf("NetworkSettings.Networks = %+v, want a bridge endpoint with an address", ns.Networks)
	}
	subnet := netip.PrefixFrom(ep.Gateway, ep.IPPrefixLen).Masked()
	if !subnet.Contains(ep.IPAddress) || !strings.HasPrefix(subnet.String(), "172.30.") {
		t.Errorf("IPAddress %s, Gateway %s/%d: want both in a 172.30.x subnet", ep.IPAddress, ep.Gateway, ep.IPPrefixLen)
	}
	b := ep.IPAddress.As4()
	if want := fmt.Sprintf("02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]); ep.MacAddress.String() != want {
		t.Errorf("MacAddress = %s, want %s", ep.MacAddress, want)
	}
	if ns.SandboxKey == "" {
		t.Errorf("SandboxKey is empty")
	}
	ip := ep.IPAddress.String()

	// The host reaches the container's address over the bridge.
	if err := pingFromHost(ip); err != nil {
		t.Errorf("host to container: %v", err)
	}
	d.tug("rm", "-f", id)

	out := d.tug("run", "--rm", "--name", "c2", "--hostname", "h2", "--dns", "127.0.0.1", "--add-host", "extra:10.9.9.9", "bb",
		"sh", "-c", "ip -4 addr show eth0; ip route; cat /etc/hosts /etc/resolv.conf; ping -c1 -W5 "+ep.Gateway.String())
	for _, want := range []string{"inet 172.30.", "default via " + ep.Gateway.String(), "\th2\n", "10.9.9.9\textra", "nameserver 127.0.0.1", "1 packets received"} {
		if !strings.Contains(out, want) {
			t.Errorf("in the container: want %q in\n%s", want, out)
		}
	}
	d.checkNoLeaks()
}

// pingFromHost opens a TCP connection to ip:1; "connection refused" proves
// the container's stack answered.
func pingFromHost(ip string) error {
	c, err := net.DialTimeout("tcp4", ip+":1", 3*time.Second)
	if err == nil {
		c.Close()
		return nil
	}
	if strings.Contains(err.Error(), "refused") {
		return nil
	}
	return err
}

// --network none has loopback only, up, in a namespace of its own;
// --network container:<id> shares the other container's namespace.
func TestNoneAndContainerMode(t *testing.T) {
	d := startDaemon(t)
	out := d.tug("run", "--rm", "--network", "none", "bb", "ip", "-o", "link")
	if strings.Contains(out, "eth0") || !strings.Contains(out, "lo:") || !strings.Contains(out, "UP") {
		t.Errorf("--network none: links = %q, want lo only, up", out)
	}
	host, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{host: true}
	var nones []string
	for range 3 {
		id := d.tug("run", "-d", "--network", "none", "bb", "sleep", "60")
		nones = append(nones, id)
		ns := d.tug("exec", id, "readlink", "/proc/self/ns/net")
		if seen[ns] {
			t.Errorf("--network none container %s is in namespace %s, the host's or another's", id, ns)
		}
		seen[ns] = true
	}
	d.tug(append([]string{"rm", "-f"}, nones...)...)
	id := d.tug("run", "-d", "bb", "sleep", "60")
	ip := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", id)
	out = d.tug("run", "--rm", "--network", "container:"+id, "bb", "ip", "-4", "-o", "addr", "show", "eth0")
	if !strings.Contains(out, ip+"/") {
		t.Errorf("--network container: eth0 = %q, want %s", out, ip)
	}
	d.tug("rm", "-f", id)
	d.checkNoLeaks()
}
