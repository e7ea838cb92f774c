package network

import (
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// Containers on a user network resolve each other's names and aliases
// through the embedded DNS server, and other names through the upstream
// (a resolver this test runs on loopback); the default bridge has no
// name resolution.
func TestUserNetworkDNS(t *testing.T) {
	d := startDaemon(t)
	startResolver(t, "127.0.0.153:53", "ext.test.", "10.1.2.3")
	d.tug("network", "create", "--label", "k=v", "front")
	t.Cleanup(func() { d.Tug("network", "rm", "front") })
	d.tug("run", "-d", "--name", "web", "--network", "front", "--network-alias", "www", "--dns", "127.0.0.153", "bb", "sleep", "60")
	webIP := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.front.IPAddress}}", "web")

	script := "cat /etc/resolv.conf; nslookup web; nslookup www; ping -c1 -W5 www; nslookup ext.test"
	out := d.tug("run", "--rm", "--network", "front", "--dns", "127.0.0.153", "bb", "sh", "-c", script)
	for _, want := range []string{"nameserver 127.0.0.11", "Name:\tweb\nAddress: " + webIP, "Name:\twww\nAddress: " + webIP, "1 packets received"} {
		if !strings.Contains(out, want) {
			t.Errorf("on the user network: want %q in\n%s", want, out)
		}
	}
	if !strings.Contains(out, "Address: 10.1.2.3") {
		t.Errorf("forwarded name ext.test not resolved:\n%s", out)
	}
	// The default bridge: no names.
	r := d.Tug("run", "--rm", "--dns", "127.0.0.153", "bb", "sh", "-c", "cat /etc/resolv.conf; ping -c1 -W1 web")
	if r.ExitCode == 0 || strings.Contains(r.Stdout, "127.0.0.11") || !strings.Contains(r.Stdout+r.Stderr, "bad address") {
		t.Errorf("default bridge resolved a container name: %s", r)
	}
	inspect := d.tug("network", "inspect", "-f", "{{.Name}} {{.Driver}} {{index .Labels \"k\"}} {{len .Containers}}", "front")
	if inspect != "front bridge v 1" {
		t.Errorf("network inspect = %q", inspect)
	}
	r = d.Tug("network", "rm", "front")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "has active endpoints") {
		t.Errorf("network rm with a running container: %s", r)
	}
	d.tug("rm", "-f", "web")
	d.tug("network", "rm", "front")
	d.checkNoLeaks()
}

// startResolver serves one A record on addr (loopback) for the test.
func startResolver(t *testing.T, addr, name, ip string) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatalf("upstream resolver on %s: %v", addr, err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		if len(req.Question) == 1 && req.Question[0].Name == name && req.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(name + " 60 IN A " + ip)
			m.Answer = append(m.Answer, rr)
		} else if len(req.Question) == 1 && req.Question[0].Name != name {
			m.SetRcode(req, dns.RcodeNameError)
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
}

// Containers on two user networks cannot reach each other; a container
// connected to both reaches both; an --internal network has no way out.
func TestNetworkIsolation(t *testing.T) {
	d := startDaemon(t)
	d.tug("network", "create", "net1")
	t.Cleanup(func() { d.Tug("network", "rm", "net1") })
	d.tug("network", "create", "--subnet", "172.30.250.0/24", "--gateway", "172.30.250.254", "--internal", "net2")
	t.Cleanup(func() { d.Tug("network", "rm", "net2") })
	gw := d.tug("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}", "net2")
	if gw != "172.30.250.0/24 172.30.250.254" {
		t.Errorf("net2 IPAM = %q", gw)
	}
	d.tug(append([]string{"run", "-d", "--name", "s1", "--network", "net1", "bb"}, httpdCmd...)...)
	d.tug(append([]string{"run", "-d", "--name", "s2", "--network", "net2", "bb"}, httpdCmd...)...)
	ip1 := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.net1.IPAddress}}", "s1")
	ip2 := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.net2.IPAddress}}", "s2")
	if !strings.HasPrefix(ip2, "172.30.250.") {
		t.Errorf("s2 address %s, want in 172.30.250.0/24", ip2)
	}
	fetch := func(network, ip string) bool {
		r := d.Tug("run", "--rm", "--network", network, "--dns", "127.0.0.1", "bb", "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 "+ip+" 80")
		return r.ExitCode == 0 && strings.Contains(r.Stdout, "hello")
	}
	if !fetch("net1", ip1) || !fetch("net2", ip2) {
		t.Errorf("same-network traffic failed")
	}
	if fetch("net1", ip2) || fetch("net2", ip1) || fetch("bridge", ip1) {
		t.Errorf("traffic crossed networks")
	}
	// Connected to both: reaches both; disconnected: no longer.
	d.tug("run", "-d", "--name", "both", "--network", "net1", "--dns", "127.0.0.1", "bb", "sleep", "60")
	d.tug("network", "connect", "--alias", "b2", "net2", "both")
	out := d.tug("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}", "both")
	if !strings.Contains(out, "net1=172.30.") || !strings.Contains(out, "net2=172.30.250.") {
		t.Errorf("connected container networks = %q", out)
	}
	d.tug("network", "disconnect", "net2", "both")
	if out := d.tug("inspect", "-f", "{{len .NetworkSettings.Networks}}", "both"); out != "1" {
		t.Errorf("after disconnect: %s networks, want 1", out)
	}
	d.tug("rm", "-f", "s1", "s2", "both")
	if out := d.tug("network", "prune", "-f"); !strings.Contains(out, "net1") || !strings.Contains(out, "net2") {
		t.Errorf("network prune = %q", out)
	}
	if out := d.tug("network", "ls", "--format", "{{.Name}}"); out != "bridge\nhost\nnone" {
		t.Errorf("network ls after prune = %q", out)
	}
	d.checkNoLeaks()
}
