package network

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
)

// Ruleset is the firewall tug wants: what network/portmap renders into
// its own nftables table. It is a pure function of the State (Plan), so the
// table can be rebuilt from scratch at any time, after a crash included.
type Ruleset struct {
	Bridges []BridgeRules
	Ports   []PortRule
}

// BridgeRules are the rules of one network: masquerade of its subnet
// going elsewhere (unless Internal), masquerade of loopback-sourced
// traffic DNATed onto it, and isolation from the other networks.
type BridgeRules struct {
	Bridge       string
	Subnet       netip.Prefix
	Subnet6      netip.Prefix // IPv6 networks only
	Internal     bool
	NoICC        bool // enable_icc=false: no traffic between its containers
	NoMasquerade bool // enable_ip_masquerade=false: no source NAT going out
}

// PortRule DNATs a published port to a container address.
type PortRule struct {
	PortMapping
	ContainerIP  netip.Addr
	ContainerIP6 netip.Addr // on IPv6 networks: the port is published on IPv6 too
}

// Plan computes the rule set of st: one BridgeRules per network and one
// PortRule per published port of a running sandbox, DNATed to the
// sandbox's first active endpoint. Output is sorted, so equal states give
// equal rule sets.
func Plan(st *State) Ruleset {
	var rs Ruleset
	for _, n := range st.Networks {
		if n.Bridge == "" {
			continue // host and none
		}
		o := n.BridgeOptions()
		rs.Bridges = append(rs.Bridges, BridgeRules{Bridge: n.Bridge, Subnet: n.Subnet, Subnet6: n.Subnet6, Internal: n.Internal,
			NoICC: o.NoICC, NoMasquerade: o.NoMasquerade})
	}
	slices.SortFunc(rs.Bridges, func(a, b BridgeRules) int { return cmp.Compare(a.Bridge, b.Bridge) })
	for _, s := range st.Sandboxes {
		ip, ip6 := primaryAddrs(st, s)
		if !ip.IsValid() {
			continue
		}
		for _, m := range s.Ports {
			r := PortRule{PortMapping: m, ContainerIP: ip}
			if !m.HostIP.IsValid() || m.HostIP.Is6() {
				r.ContainerIP6 = ip6
			}
			rs.Ports = append(rs.Ports, r)
		}
	}
	slices.SortFunc(rs.Ports, func(a, b PortRule) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.HostPort, b.HostPort), a.HostIP.Compare(b.HostIP))
	})
	return rs
}

// PrimaryIP is the address published ports of s lead to: its first active
// endpoint on a non-internal network (internal networks have no published
// ports, as in Docker).
func PrimaryIP(st *State, s *Sandbox) netip.Addr {
	ip, _ := primaryAddrs(st, s)
	return ip
}

// CheckIPv6Ports refuses port requests on an IPv6 host address when the
// network the ports of s lead to has no IPv6: tug publishes by DNAT, with
// no userland proxy to carry IPv6 to an IPv4-only container.
func CheckIPv6Ports(st *State, s *Sandbox, reqs []PortRequest) error {
	if _, ip6 := primaryAddrs(st, s); ip6.IsValid() {
		return nil
	}
	for _, r := range reqs {
		if r.HostIP.Is6() {
			return fmt.Errorf("cannot publish port %d/%s on IPv6 host address [%s]: the container's network has no IPv6 (create it with --ipv6)", r.ContainerPort, r.Proto, r.HostIP)
		}
	}
	return nil
}

// primaryAddrs are the IPv4 and (on IPv6 networks) IPv6 address of the
// endpoint PrimaryIP picks.
func primaryAddrs(st *State, s *Sandbox) (ip, ip6 netip.Addr) {
	for _, e := range s.Endpoints {
		n := st.Networks[e.NetworkID]
		if e.Active() && n != nil && !n.Internal {
			return e.IP, e.IP6
		}
	}
	return netip.Addr{}, netip.Addr{}
}
