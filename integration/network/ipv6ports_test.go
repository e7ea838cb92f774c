package network

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// A port published on an IPv6 host address (-p [addr]:host:ctr, or
// HostIP "::" through the API) answers there on an IPv6 network, and only
// there; on a network without IPv6, or on the IPv6 loopback (no userland
// proxy to carry it), it is refused naming the address.
func TestPublishOnIPv6HostAddress(t *testing.T) {
	d := startDaemon(t)
	ctx := context.Background()
	d.tug("network", "create", "--ipv6", "--subnet", "10.231.11.0/24", "--subnet", "fd00:7567:5::/64", "v6p")
	t.Cleanup(func() { d.Tug("network", "rm", "v6p") })
	const gw6 = "fd00:7567:5::1" // the bridge's address: the host's

	hp := testutil.FreePort(t, "tcp")
	d.tug(append([]string{"run", "-d", "--name", "p6", "--network", "v6p", "-p", fmt.Sprintf("[%s]:%d:80", gw6, hp), "bb"}, httpdCmd...)...)
	if got := httpGet(t, fmt.Sprintf("http://[%s]:%d/", gw6, hp)); got != "hello\n" {
		t.Errorf("via [%s]:%d: body %q", gw6, hp, got)
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", hp), time.Second); err == nil {
		c.Close()
		t.Errorf("a port published on [%s] answers on 127.0.0.1 too", gw6)
	}
	if got := d.tug("port", "p6"); got != fmt.Sprintf("80/tcp -> [%s]:%d", gw6, hp) {
		t.Errorf("tug port p6 = %q", got)
	}
	if got := d.tug("ps", "--format", "{{.Ports}}", "-f", "name=p6"); got != fmt.Sprintf("[%s]:%d->80/tcp", gw6, hp) {
		t.Errorf("ps Ports = %q", got)
	}
	if got := d.tug("inspect", "-f", `{{range $p, $b := .NetworkSettings.Ports}}{{range $b}}{{.HostIp}} {{.HostPort}}{{end}}{{end}}`, "p6"); got != fmt.Sprintf("%s %d", gw6, hp) {
		t.Errorf("inspect Ports = %q", got)
	}

	// moby's client: HostIP "::" is every IPv6 address of the host.
	hp2 := testutil.FreePort(t, "tcp")
	cr, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "any6",
		Config: &container.Config{Image: "bb", Cmd: httpdCmd, ExposedPorts: network.PortSet{network.MustParsePort("80/tcp"): {}}},
		HostConfig: &container.HostConfig{NetworkMode: "v6p", PortBindings: network.PortMap{
			network.MustParsePort("80/tcp"): {{HostIP: netip.IPv6Unspecified(), HostPort: fmt.Sprint(hp2)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := httpGet(t, fmt.Sprintf("http://[%s]:%d/", gw6, hp2)); got != "hello\n" {
		t.Errorf("HostIP :: via [%s]:%d: body %q", gw6, hp2, got)
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", hp2), time.Second); err == nil {
		c.Close()
		t.Errorf("a port published on [::] answers on 127.0.0.1 too")
	}

	for _, tt := range []struct{ network, spec, want string }{
		{"bridge", fmt.Sprintf("[%s]:%d:80", gw6, hp), "[" + gw6 + "]"},
		{"v6p", fmt.Sprintf("[::1]:%d:80", hp), "[::1]"},
	} {
		r := d.Tug("run", "--rm", "--network", tt.network, "-p", tt.spec, "bb", "true")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, tt.want) {
			t.Errorf("run --network %s -p %s: want a refusal naming %s, got %s", tt.network, tt.spec, tt.want, r)
		}
	}
	d.tug("rm", "-f", "p6", "any6")
	d.tug("network", "rm", "v6p")
	d.checkNoLeaks()
}
