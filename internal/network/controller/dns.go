package controller

import (
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/tug-project/tug/internal/container"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
	"github.com/tug-project/tug/internal/network/dns"
)

// dnsAddress is where a container on user networks finds its resolver.
const dnsAddress = dns.Address

// startDNS serves the resolver of sandbox id on sockets made inside the
// namespace at nsPath, forwarding other names to upstreams.
func (n *Controller) startDNS(id, nsPath string, upstreams []string) error {
	var pc net.PacketConn
	var l net.Listener
	err := bridge.InNetNS(nsPath, func() error {
		var err error
		if pc, err = net.ListenPacket("udp4", dns.Address+":53"); err != nil {
			return err
		}
		if l, err = net.Listen("tcp4", dns.Address+":53"); err != nil {
			pc.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	srv := dns.Serve(pc, l, &dnsLookup{store: n.store, id: id}, upstreams)
	n.dnsMu.Lock()
	old := n.dns[id]
	n.dns[id] = srv
	n.dnsMu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// upstreams are where c's resolver forwards other names: --dns, or the
// host's nameservers (loopback ones included: tugd runs on the host).
func upstreams(c *container.Container) []string {
	var out []string
	for _, a := range c.HostConfig.DNS {
		out = append(out, a.String())
	}
	if len(out) > 0 {
		return out
	}
	b, _ := os.ReadFile("/etc/resolv.conf")
	return tugnet.Nameservers(b)
}

// stopDNS stops the resolver of sandbox id, if it has one.
func (n *Controller) stopDNS(id string) {
	n.dnsMu.Lock()
	srv := n.dns[id]
	delete(n.dns, id)
	n.dnsMu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// stopAllDNS stops every resolver (daemon shutdown; the next daemon
// starts them again for the containers still running).
func (n *Controller) stopAllDNS() {
	n.dnsMu.Lock()
	all := n.dns
	n.dns = map[string]*dns.Server{}
	n.dnsMu.Unlock()
	for _, srv := range all {
		srv.Close()
	}
}

// dnsLookup resolves names for one sandbox: the containers sharing a user
// network with it, by name, alias and short ID, looked up in the live
// state (so connects and disconnects need no refresh).
type dnsLookup struct {
	store *tugnet.Store
	id    string
}

func (l *dnsLookup) Addrs(name string) []netip.Addr {
	var out []netip.Addr
	l.store.View(func(st *tugnet.State) { out = addrsOf(st, l.id, name) })
	return out
}

// addrsOf answers name for sandbox id: the addresses of the endpoints,
// on the user networks id is active on, whose container has that name,
// alias or short ID.
func addrsOf(st *tugnet.State, id, name string) []netip.Addr {
	var out []netip.Addr
	me := st.Sandboxes[id]
	if me == nil {
		return nil
	}
	for _, mine := range me.Endpoints {
		n := st.Networks[mine.NetworkID]
		if n == nil || n.Default() || !mine.Active() {
			continue
		}
		target := linkTarget(mine, name)
		for _, s := range st.Sandboxes {
			e := s.Endpoint(n.ID)
			if e == nil || !e.Active() {
				continue
			}
			if target != "" && strings.EqualFold(target, s.Name) || target == "" && dnsNameMatches(name, s, e) {
				out = append(out, e.IP)
			}
		}
	}
	return out
}

// linkTarget is the container name that name, an alias of one of e's
// links (--link NAME:ALIAS on a user network), stands for, or "".
func linkTarget(e *tugnet.Endpoint, name string) string {
	for _, l := range e.Links {
		if target, alias, _ := strings.Cut(l, ":"); strings.EqualFold(alias, name) {
			return target
		}
	}
	return ""
}

func dnsNameMatches(name string, s *tugnet.Sandbox, e *tugnet.Endpoint) bool {
	if strings.EqualFold(name, s.Name) || len(s.ContainerID) >= 12 && name == s.ContainerID[:12] {
		return true
	}
	for _, a := range e.Aliases {
		if strings.EqualFold(name, a) {
			return true
		}
	}
	return false
}

func (l *dnsLookup) Name(addr netip.Addr) (string, bool) {
	var name string
	var local bool
	l.store.View(func(st *tugnet.State) {
		for _, n := range st.Networks {
			if n.Subnet.IsValid() && n.Subnet.Contains(addr) {
				local = true
			}
		}
		for _, s := range st.Sandboxes {
			for _, e := range s.Endpoints {
				if e.Active() && e.IP == addr {
					if n := st.Networks[e.NetworkID]; n != nil {
						name = s.Name + "." + n.Name
					}
				}
			}
		}
	})
	return name, local
}
