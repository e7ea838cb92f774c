package portmap

import (
	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// readBuffer is the receive buffer of tug's nftables sockets: the kernel
// acknowledges every message of a batch, and a rule set rebuilt with many
// bridges (isolation rules grow with their square) overflows the default
// buffer, failing the flush with ENOBUFS.
const readBuffer = 8 << 20

// newConn is a netlink connection to nftables with a receive buffer large
// enough for a whole batch's acknowledgements.
func newConn() (*nftables.Conn, error) {
	return nftables.New(nftables.WithSockOptions(func(c *netlink.Conn) error {
		rc, err := c.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		if err := rc.Control(func(fd uintptr) {
			// SO_RCVBUFFORCE passes rmem_max (tugd has CAP_NET_ADMIN);
			// SO_RCVBUF is the fallback, capped by it.
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, readBuffer); serr != nil {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, readBuffer)
			}
		}); err != nil {
			return err
		}
		return serr
	}))
}
