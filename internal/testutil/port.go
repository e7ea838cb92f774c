package testutil

import (
	"net"
	"testing"
)

// FreePort returns a port that is free on the host right now for proto,
// "tcp" (on every IPv4 address) or "udp" (on loopback). Another process
// may take it before the caller binds it: callers that can, retry.
func FreePort(t testing.TB, proto string) int {
	t.Helper()
	switch proto {
	case "tcp":
		l, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	t.Fatalf("FreePort(%q): want tcp or udp", proto)
	return 0
}
