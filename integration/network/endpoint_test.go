package network

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// --mac-address, --ip and --link-local-ip on run and on connect: the
// interface gets them, inspect shows them, and the link-local addresses
// reach each other across the bridge.
func TestEndpointAddressesAndMAC(t *testing.T) {
	d := startDaemon(t)
	d.tug("network", "create", "--subnet", "10.231.7.0/24", "epnet")
	t.Cleanup(func() { d.Tug("network", "rm", "epnet") })
	d.tug("run", "-d", "--name", "mc", "--network", "epnet", "--ip", "10.231.7.50", "--mac-address", "02:42:de:ad:be:01",
		"--link-local-ip", "169.254.10.5", "bb", "sleep", "60")
	out := d.tug("exec", "mc", "ip", "addr", "show", "eth0")
	for _, want := range []string{"link/ether 02:42:de:ad:be:01", "inet 10.231.7.50/24", "inet 169.254.10.5/16"} {
		if !strings.Contains(out, want) {
			t.Errorf("eth0 of mc: want %q in\n%s", want, out)
		}
	}
	got := d.tug("inspect", "-f", "{{with .NetworkSettings.Networks.epnet}}{{.MacAddress}} {{.IPAddress}} {{.IPAMConfig.IPv4Address}} {{.IPAMConfig.LinkLocalIPs}}{{end}}", "mc")
	if got != "02:42:de:ad:be:01 10.231.7.50 10.231.7.50 [169.254.10.5]" {
		t.Errorf("inspect of mc = %q", got)
	}

	// Through moby's client: connect a running container with an address
	// and a link-local one.
	cl := d.Client
	ctx := context.Background()
	d.tug("run", "-d", "--name", "c2", "bb", "sleep", "60")
	_, err := cl.NetworkConnect(ctx, "epnet", client.NetworkConnectOptions{Container: "c2", EndpointConfig: &network.EndpointSettings{
		IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr("10.231.7.60"), LinkLocalIPs: []netip.Addr{netip.MustParseAddr("169.254.10.6")}},
	}})
	if err != nil {
		t.Fatalf("NetworkConnect: %v", err)
	}
	out = d.tug("exec", "c2", "ip", "addr", "show", "eth1")
	for _, want := range []string{"inet 10.231.7.60/24", "inet 169.254.10.6/16"} {
		if !strings.Contains(out, want) {
			t.Errorf("eth1 of c2: want %q in\n%s", want, out)
		}
	}
	d.tug("exec", "mc", "ping", "-c1", "-W5", "169.254.10.6")
	d.tug("exec", "mc", "ping", "-c1", "-W5", "10.231.7.60")

	// The address is taken; bad values are refused naming them.
	_, err = cl.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: "bb", Cmd: []string{"true"}},
		HostConfig: &container.HostConfig{NetworkMode: "epnet"},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"epnet": {
			IPAMConfig: &network.EndpointIPAMConfig{LinkLocalIPs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}}}}})
	if err == nil || !strings.Contains(err.Error(), "invalid link-local IP address: 10.0.0.1") {
		t.Errorf("create with a link-local IP that is not one = %v", err)
	}
	if r := d.Tug("run", "--rm", "--link-local-ip", "169.254.10.9", "bb", "true"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "user specified IP address is supported on user defined networks only") {
		t.Errorf("link-local IP on the default bridge: %s", r)
	}

	// The docker CLI (API 1.41) sends --mac-address as Config.MacAddress.
	r := d.Docker("run", "--rm", "--mac-address", "02:42:de:ad:be:02", "bb", "cat", "/sys/class/net/eth0/address")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "02:42:de:ad:be:02" {
		t.Errorf("docker run --mac-address: %s", r)
	}
	d.tug("rm", "-f", "mc", "c2")
	d.checkNoLeaks()
}
