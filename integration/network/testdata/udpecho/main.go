// Command udpecho answers every UDP datagram on the port in argv[1] with
// "echo: " and the datagram: the UDP server of the published-port tests
// (busybox-static has no UDP server applet).
package main

import (
	"net"
	"os"
)

func main() {
	c, err := net.ListenPacket("udp4", ":"+os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	buf := make([]byte, 2048)
	for {
		n, addr, err := c.ReadFrom(buf)
		if err != nil {
			os.Exit(1)
		}
		_, _ = c.WriteTo(append([]byte("echo: "), buf[:n]...), addr)
	}
}
