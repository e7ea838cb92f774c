package network

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// Bridge driver options (network create -o) take effect and show in
// inspect: no traffic between containers with enable_icc=false, no source
// NAT with enable_ip_masquerade=false, published ports on
// host_binding_ipv4, the interfaces' MTU, a bridge without an address
// with inhibit_ipv4; others are refused naming them.
func TestNetworkOptions(t *testing.T) {
	d := startDaemon(t)
	d.tug("network", "create", "--subnet", "10.231.8.0/24",
		"-o", "com.docker.network.bridge.name=tugopt0",
		"-o", "com.docker.network.bridge.enable_icc=false",
		"-o", "com.docker.network.bridge.enable_ip_masquerade=false",
		"-o", "com.docker.network.bridge.host_binding_ipv4=127.0.0.1",
		"-o", "com.docker.network.driver.mtu=1400", "optnet")
	t.Cleanup(func() { d.Tug("network", "rm", "optnet") })
	got := d.tug("network", "inspect", "-f", `{{index .Options "com.docker.network.bridge.enable_icc"}} {{index .Options "com.docker.network.driver.mtu"}} {{index .Options "com.docker.network.bridge.name"}}`, "optnet")
	if got != "false 1400 tugopt0" {
		t.Errorf("network inspect Options = %q", got)
	}
	if out, err := exec.Command("ip", "link", "show", "tugopt0").CombinedOutput(); err != nil {
		t.Errorf("bridge tugopt0: %v %s", err, out)
	}

	hp := testutil.FreePort(t, "tcp")
	d.tug(append([]string{"run", "-d", "--name", "s1", "--network", "optnet", "-p", fmt.Sprintf("%d:80", hp), "bb"}, httpdCmd...)...)
	ip1 := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.optnet.IPAddress}}", "s1")
	if got := d.tug("port", "s1"); got != fmt.Sprintf("80/tcp -> 127.0.0.1:%d", hp) {
		t.Errorf("port of s1 = %q, want it on host_binding_ipv4", got)
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", hp)); got != "hello\n" {
		t.Errorf("published port: %q", got)
	}
	// The host reaches the container; another container does not.
	if got := httpGet(t, "http://"+ip1+"/"); got != "hello\n" {
		t.Errorf("host to container: %q", got)
	}
	r := d.Tug("run", "--rm", "--network", "optnet", "--dns", "127.0.0.1", "bb", "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 "+ip1+" 80")
	if r.ExitCode == 0 && strings.Contains(r.Stdout, "hello") {
		t.Errorf("enable_icc=false: a container reached another: %s", r)
	}
	if got := d.tug("run", "--rm", "--network", "optnet", "bb", "cat", "/sys/class/net/eth0/mtu"); got != "1400" {
		t.Errorf("MTU of eth0 = %q, want 1400", got)
	}
	post, err := exec.Command("nft", "list", "chain", "ip", d.table, "postrouting").CombinedOutput()
	if err != nil {
		t.Fatalf("nft: %v %s", err, post)
	}
	if strings.Contains(string(post), "10.231.8.0/24") {
		t.Errorf("enable_ip_masquerade=false: the subnet is masqueraded:\n%s", post)
	}

	d.tug("network", "create", "-o", "com.docker.network.bridge.inhibit_ipv4=true", "-o", "com.docker.network.bridge.name=tuginh0", "inhnet")
	t.Cleanup(func() { d.Tug("network", "rm", "inhnet") })
	if out, _ := exec.Command("ip", "-4", "addr", "show", "tuginh0").CombinedOutput(); strings.Contains(string(out), "inet ") {
		t.Errorf("inhibit_ipv4: the bridge has an address:\n%s", out)
	}
	if got := d.tug("run", "--rm", "--network", "inhnet", "bb", "ip", "-4", "addr", "show", "eth0"); !strings.Contains(got, "inet ") {
		t.Errorf("container on an inhibit_ipv4 network has no address:\n%s", got)
	}

	for _, bad := range [][]string{
		{"-o", "com.docker.network.bridge.gateway_mode_ipv4=routed"},
		{"-o", "com.docker.network.driver.mtu=tiny"},
		{"-o", "com.docker.network.bridge.name=lo"},
	} {
		r := d.Tug(append(append([]string{"network", "create"}, bad...), "badnet")...)
		name, _, _ := strings.Cut(bad[1], "=")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, name) && !strings.Contains(r.Stderr, "bridge name lo") {
			t.Errorf("network create %v: %s", bad, r)
		}
	}
	if out := d.tug("network", "ls", "--format", "{{.Name}}"); strings.Contains(out, "badnet") {
		t.Errorf("a refused network was created: %s", out)
	}
	d.tug("rm", "-f", "s1")
	d.tug("network", "rm", "optnet", "inhnet")
	d.checkNoLeaks()
}
