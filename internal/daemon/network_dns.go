package daemon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/tug-project/tug/internal/container"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
	"github.com/tug-project/tug/internal/network/dns"
)

// onUserNetwork reports whether s has an endpoint on a user network:
// those containers get the embedded resolver; the default bridge has none,
// like Docker's.
func onUserNetwork(st *tugnet.State, s *tugnet.Sandbox) bool {
	for _, e := range s.Endpoints {
		if n := st.Networks[e.NetworkID]; n != nil && !n.Default() && n.Bridge != "" {
			return true
		}
	}
	return false
}

// setupDNS gives a container on user networks its resolver at
// 127.0.0.11 and points its resolv.conf there.
func (d *Daemon) setupDNS(ctx context.Context, c *container.Container, s *tugnet.Sandbox, _ map[string]tugnet.Network) error {
	var user bool
	d.net.store.View(func(st *tugnet.State) { user = onUserNetwork(st, s) })
	if !user {
		return nil
	}
	if err := d.startDNS(c.ID, s.NetNS, d.upstreams(c)); err != nil {
		return fmt.Errorf("embedded DNS: %w", err)
	}
	resolv := embeddedResolvConf(c.HostConfig.DNSSearch, c.HostConfig.DNSOptions)
	return os.WriteFile(filepath.Join(d.containers.Dir(c.ID), "resolv.conf"), resolv, 0o644)
}

// embeddedResolvConf is the resolv.conf of a sandbox on user networks:
// the embedded resolver, the host's search domains (or --dns-search) and
// ndots:0 plus --dns-option.
func embeddedResolvConf(dnsSearch, dnsOptions []string) []byte {
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	var search, options []string
	for _, l := range strings.Split(string(hostResolv), "\n") {
		f := strings.Fields(l)
		if len(f) > 1 && (f[0] == "search" || f[0] == "domain") {
			search = f[1:]
		}
	}
	if len(dnsSearch) > 0 {
		search = dnsSearch
		if len(search) == 1 && search[0] == "." {
			search = nil
		}
	}
	options = append([]string{"ndots:0"}, dnsOptions...)
	var b strings.Builder
	if len(search) > 0 {
		b.WriteString("search " + strings.Join(search, " ") + "\n")
	}
	b.WriteString("nameserver " + dns.Address + "\n")
	b.WriteString("options " + strings.Join(options, " ") + "\n")
	return []byte(b.String())
}

// startDNS serves the resolver of sandbox id on sockets made inside the
// namespace at nsPath, forwarding other names to upstreams.
func (d *Daemon) startDNS(id, nsPath string, upstreams []string) error {
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
	srv := dns.Serve(pc, l, &dnsLookup{d: d, id: id}, upstreams)
	d.net.dnsMu.Lock()
	old := d.net.dns[id]
	d.net.dns[id] = srv
	d.net.dnsMu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// upstreams are where c's resolver forwards other names: --dns, or the
// host's nameservers (loopback ones included: tugd runs on the host).
func (d *Daemon) upstreams(c *container.Container) []string {
	var out []string
	for _, a := range c.HostConfig.DNS {
		out = append(out, a.String())
	}
	if len(out) > 0 {
		return out
	}
	return hostNameservers()
}

// hostNameservers are the nameservers of the host's resolv.conf.
func hostNameservers() []string {
	var out []string
	b, _ := os.ReadFile("/etc/resolv.conf")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "nameserver" {
			out = append(out, f[1])
		}
	}
	return out
}

// refreshDNS is called after a connect or disconnect. Names are looked up
// in the live state, so there is nothing to refresh.
func (d *Daemon) refreshDNS(id string) {}

// stopDNS stops the resolver of container id, if it has one.
func (d *Daemon) stopDNS(id string) {
	d.net.dnsMu.Lock()
	srv := d.net.dns[id]
	delete(d.net.dns, id)
	d.net.dnsMu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// stopAllDNS stops every resolver (daemon shutdown; the next daemon
// starts them again for the containers still running).
func (d *Daemon) stopAllDNS() {
	d.net.dnsMu.Lock()
	all := d.net.dns
	d.net.dns = map[string]*dns.Server{}
	d.net.dnsMu.Unlock()
	for _, srv := range all {
		srv.Close()
	}
}

// dnsLookup resolves names for one container: the containers sharing a
// user network with it, by name, alias and short ID.
type dnsLookup struct {
	d  *Daemon
	id string
}

func (l *dnsLookup) Addrs(name string) []netip.Addr {
	var out []netip.Addr
	l.d.net.store.View(func(st *tugnet.State) {
		me := st.Sandboxes[l.id]
		if me == nil {
			return
		}
		for _, mine := range me.Endpoints {
			n := st.Networks[mine.NetworkID]
			if n == nil || n.Default() || !mine.Active() {
				continue
			}
			for _, s := range st.Sandboxes {
				e := s.Endpoint(n.ID)
				if e == nil || !e.Active() {
					continue
				}
				if dnsNameMatches(name, s, e) {
					out = append(out, e.IP)
				}
			}
		}
	})
	return out
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
	l.d.net.store.View(func(st *tugnet.State) {
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
