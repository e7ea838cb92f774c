package testutil

import (
	"net"
	"time"
)

type netDialer struct{}

func (netDialer) dial(socket string) (net.Conn, error) {
	return net.DialTimeout("unix", socket, time.Second)
}
