package network

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// An IPv6 bridge network (ULA subnet): the bridge has the IPv6 gateway,
// containers get IPv6 addresses (--ip6 too) and a default route, the
// embedded DNS answers AAAA, containers and the host reach each other
// over IPv6, a published port answers on the bridge's IPv6 address, and
// the ip6 rules live in tug's own ip6 table, gone with the network.
func TestIPv6Network(t *testing.T) {
	d := startDaemon(t)
	d.tug("network", "create", "--ipv6", "--subnet", "10.231.9.0/24", "--subnet", "fd00:7567:1::/64", "v6net")
	t.Cleanup(func() { d.Tug("network", "rm", "v6net") })
	nw, err := d.Client.NetworkInspect(context.Background(), "v6net", client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !nw.Network.EnableIPv6 || len(nw.Network.IPAM.Config) != 2 || nw.Network.IPAM.Config[1].Subnet.String() != "fd00:7567:1::/64" ||
		nw.Network.IPAM.Config[1].Gateway.String() != "fd00:7567:1::1" {
		t.Errorf("network inspect: EnableIPv6 %v, IPAM %+v", nw.Network.EnableIPv6, nw.Network.IPAM.Config)
	}
	br := d.tug("network", "inspect", "-f", `{{index .Options "com.docker.network.bridge.name"}}`, "v6net")
	if br == "" {
		br = "tug-" + nw.Network.ID[:11]
	}
	if out, _ := exec.Command("ip", "-6", "addr", "show", br).CombinedOutput(); !strings.Contains(string(out), "inet6 fd00:7567:1::1/64") {
		t.Errorf("bridge %s has no IPv6 gateway address:\n%s", br, out)
	}

	hp := testutil.FreePort(t, "tcp")
	d.tug(append([]string{"run", "-d", "--name", "s6", "--network", "v6net", "-p", fmt.Sprintf("%d:80", hp), "bb"}, httpdCmd...)...)
	got := d.tug("inspect", "-f", "{{with .NetworkSettings.Networks.v6net}}{{.GlobalIPv6Address}}/{{.GlobalIPv6PrefixLen}} {{.IPv6Gateway}}{{end}}", "s6")
	ip6, _, _ := strings.Cut(got, "/")
	if !strings.HasPrefix(got, "fd00:7567:1::") || !strings.HasSuffix(got, "/64 fd00:7567:1::1") {
		t.Errorf("inspect of s6 = %q", got)
	}
	if hosts := d.tug("exec", "s6", "cat", "/etc/hosts"); !strings.Contains(hosts, ip6+"\t") {
		t.Errorf("/etc/hosts of s6 lacks its IPv6 address:\n%s", hosts)
	}

	script := "ip -6 addr show eth0; ip -6 route; nslookup -type=AAAA s6; ping6 -c1 -W5 " + ip6 + "; wget -q -O- http://[" + ip6 + "]/"
	out := d.tug("run", "--rm", "--network", "v6net", "--dns", "127.0.0.1", "--ip6", "fd00:7567:1::99", "bb", "sh", "-c", script)
	for _, want := range []string{"inet6 fd00:7567:1::99/64", "default via fd00:7567:1::1", "Address: " + ip6, "1 packets received", "hello"} {
		if !strings.Contains(out, want) {
			t.Errorf("a container on the IPv6 network: want %q in\n%s", want, out)
		}
	}
	if got := httpGet(t, "http://["+ip6+"]/"); got != "hello\n" {
		t.Errorf("host to container over IPv6: %q", got)
	}
	if got := httpGet(t, fmt.Sprintf("http://[fd00:7567:1::1]:%d/", hp)); got != "hello\n" {
		t.Errorf("published port on IPv6: %q", got)
	}
	rules, err := exec.Command("nft", "list", "table", "ip6", d.table).CombinedOutput()
	if err != nil || !strings.Contains(string(rules), "fd00:7567:1::/64") || !strings.Contains(string(rules), "dnat") {
		t.Errorf("ip6 table %s: %v\n%s", d.table, err, rules)
	}

	for _, bad := range [][]string{
		{"--ipv6", "nov6"},
		{"--subnet", "fd00:7567:2::/64", "nov6"},
	} {
		if r := d.Tug(append([]string{"network", "create"}, bad...)...); r.ExitCode == 0 || !strings.Contains(r.Stderr, "ipv6") && !strings.Contains(r.Stderr, "IPv6") {
			t.Errorf("network create %v: %s", bad, r)
		}
	}
	if r := d.Tug("run", "--rm", "--network", "v6net", "--ip6", "fd00:9::5", "bb", "true"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "fd00:9::5") {
		t.Errorf("--ip6 outside the subnet: %s", r)
	}
	// The docker CLI: an IPv6-only subnet list (IPv4 picked from the pools).
	if r := d.Docker("network", "create", "--ipv6", "--subnet", "fd00:7567:3::/64", "d6"); r.ExitCode != 0 {
		t.Fatalf("docker network create --ipv6: %s", r)
	}
	t.Cleanup(func() { d.Tug("network", "rm", "d6") })
	if r := d.Docker("run", "--rm", "--network", "d6", "--ip6", "fd00:7567:3::42", "bb", "ip", "-6", "addr", "show", "eth0"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "inet6 fd00:7567:3::42/64") {
		t.Errorf("docker run --ip6 on an IPv6 network: %s", r)
	}
	d.tug("rm", "-f", "s6")
	d.tug("network", "rm", "v6net", "d6")
	if out, err := exec.Command("nft", "list", "table", "ip6", d.table).CombinedOutput(); err == nil {
		t.Errorf("ip6 table left without an IPv6 network:\n%s", out)
	}
	d.checkNoLeaks()
}
