// Package controller is tugd's network controller: it owns the network
// state and carries out every change to it, planning with
// internal/network and applying with network/bridge (links and
// namespaces), network/portmap (nftables) and network/dns (the embedded
// resolvers). It creates, removes, connects and lists networks, sets up
// and tears down the endpoints of containers and build steps, computes
// the /etc/hosts and /etc/resolv.conf they see (it returns them; the
// caller writes them), and reconciles the kernel with the state when the
// daemon starts. It knows containers only through what the daemon hands
// it.
package controller
