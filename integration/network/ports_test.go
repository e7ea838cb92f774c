package network

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// A published TCP port is served from 127.0.0.1, from the host's other
// addresses, and the container's own address; ps, port and inspect show it.
func TestPublishTCP(t *testing.T) {
	d := startDaemon(t)
	hp := testutil.FreePort(t, "tcp")
	id := d.tug(append([]string{"run", "-d", "--name", "web", "-p", fmt.Sprintf("%d:80", hp), "-p", "127.0.0.1::80", "bb"}, httpdCmd...)...)
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", hp)); got != "hello\n" {
		t.Errorf("via 127.0.0.1:%d: body %q", hp, got)
	}
	ip := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "web")
	if got := httpGet(t, "http://"+ip+":80/"); got != "hello\n" {
		t.Errorf("via %s:80: body %q", ip, got)
	}
	// Another address of the host (traffic stays on this host).
	if addr := hostAddr(t); addr != "" {
		if got := httpGet(t, fmt.Sprintf("http://%s:%d/", addr, hp)); got != "hello\n" {
			t.Errorf("via %s:%d: body %q", addr, hp, got)
		}
	}
	ports := d.tug("port", "web")
	lines := strings.Split(ports, "\n")
	if len(lines) != 2 || lines[0] != fmt.Sprintf("80/tcp -> 0.0.0.0:%d", hp) || !strings.HasPrefix(lines[1], "80/tcp -> 127.0.0.1:") {
		t.Fatalf("tug port = %q", ports)
	}
	eph, _ := strconv.Atoi(strings.TrimPrefix(lines[1], "80/tcp -> 127.0.0.1:"))
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", eph)); got != "hello\n" {
		t.Errorf("via the ephemeral port %d: body %q", eph, got)
	}
	if got := d.tug("port", "web", "80"); !strings.Contains(got, fmt.Sprintf("0.0.0.0:%d", hp)) {
		t.Errorf("tug port web 80 = %q", got)
	}
	psPorts := d.tug("ps", "--format", "{{.Ports}}")
	if !strings.Contains(psPorts, fmt.Sprintf("0.0.0.0:%d->80/tcp", hp)) || !strings.Contains(psPorts, fmt.Sprintf("127.0.0.1:%d->80/tcp", eph)) {
		t.Errorf("ps Ports = %q", psPorts)
	}
	d.tug("rm", "-f", id)
	d.checkNoLeaks()
}

// hostAddr returns a non-loopback IPv4 address of this host, or "".
func hostAddr(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !strings.HasPrefix(n.IP.String(), "172.") {
			return n.IP.String()
		}
	}
	return ""
}

// A published UDP port delivers datagrams to the container's process and
// its replies back.
func TestPublishUDP(t *testing.T) {
	d := startDaemon(t)
	d.importWithTool("bbudp", "udpecho", "./testdata/udpecho")
	hp := testutil.FreePort(t, "udp")
	id := d.tug("run", "-d", "-p", fmt.Sprintf("127.0.0.1:%d:9000/udp", hp), "bbudp", "/bin/udpecho", "9000")
	c, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", hp))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 100)
	var got string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && got == ""; {
		_, _ = c.Write([]byte("ping-udp"))
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, err := c.Read(buf); err == nil {
			got = string(buf[:n])
		}
	}
	if got != "echo: ping-udp" {
		t.Errorf("reply = %q, want %q", got, "echo: ping-udp")
	}
	d.tug("rm", "-f", id)
	d.checkNoLeaks()
}

// -P publishes every exposed port (--expose here) on an ephemeral port.
func TestPublishAll(t *testing.T) {
	d := startDaemon(t)
	id := d.tug(append([]string{"run", "-d", "-P", "--expose", "80", "bb"}, httpdCmd...)...)
	out := d.tug("port", id, "80/tcp")
	_, port, err := net.SplitHostPort(strings.Split(out, "\n")[0])
	if err != nil {
		t.Fatalf("tug port = %q: %v", out, err)
	}
	if got := httpGet(t, "http://127.0.0.1:"+port+"/"); got != "hello\n" {
		t.Errorf("body %q", got)
	}
	d.tug("rm", "-f", id)
	d.checkNoLeaks()
}

// A host port in use fails the start with Docker's message and leaves
// nothing behind; so does a port another container holds.
func TestPortConflict(t *testing.T) {
	d := startDaemon(t)
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	r := d.Tug("run", "-d", "--name", "c1", "-p", fmt.Sprintf("%d:80", busy), "bb", "sleep", "60")
	want := fmt.Sprintf("Bind for 0.0.0.0:%d failed: port is already allocated", busy)
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, want) {
		t.Errorf("run with a busy port: %s\nwant an error with %q", r, want)
	}
	d.checkNoLeaks()

	hp := testutil.FreePort(t, "tcp")
	d.tug("run", "-d", "--name", "c2", "-p", fmt.Sprintf("%d:80", hp), "bb", "sleep", "60")
	r = d.Tug("run", "-d", "--name", "c3", "-p", fmt.Sprintf("%d:80", hp), "bb", "sleep", "60")
	if want := fmt.Sprintf("Bind for 0.0.0.0:%d failed: port is already allocated", hp); r.ExitCode == 0 || !strings.Contains(r.Stderr, want) {
		t.Errorf("run with a port another container holds: %s\nwant %q", r, want)
	}
	d.tug("rm", "-f", "c1", "c2", "c3")
	d.checkNoLeaks()
}
