package testutil

import (
	"fmt"
	"net"
	"testing"
)

func TestFreePort(t *testing.T) {
	p := FreePort(t, "tcp")
	l, err := net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", p))
	if err != nil {
		t.Fatalf("listening on FreePort(tcp) = %d: %v", p, err)
	}
	l.Close()
	p = FreePort(t, "udp")
	c, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		t.Fatalf("listening on FreePort(udp) = %d: %v", p, err)
	}
	c.Close()
}
