package network

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// PortMapping is one published port: traffic to HostIP:HostPort goes to
// the container's ContainerPort. An invalid HostIP means every address
// of the host (0.0.0.0, and on IPv6 networks ::); "::" means every IPv6
// address only. IPv6 host addresses are served on IPv6 networks only.
type PortMapping struct {
	Proto         string     `json:"proto"`
	HostIP        netip.Addr `json:"hostIP,omitzero"`
	HostPort      uint16     `json:"hostPort"`
	ContainerPort uint16     `json:"containerPort"`
}

// HostAddr is the address a mapping listens on as Docker prints it.
func (m PortMapping) HostAddr() string {
	if !m.HostIP.IsValid() {
		return "0.0.0.0"
	}
	return m.HostIP.String()
}

// PortRequest is a port to publish before the host port is chosen: a
// fixed port when HostLow == HostHigh != 0, the first free of a range, or
// an ephemeral one when both are 0.
type PortRequest struct {
	Proto             string
	HostIP            netip.Addr
	HostLow, HostHigh uint16
	ContainerPort     uint16
}

// PortRequests turns a container's port bindings (-p) and, with
// publishAll (-P), its exposed ports into requests, sorted by container
// port and protocol.
func PortRequests(bindings network.PortMap, exposed network.PortSet, publishAll bool) ([]PortRequest, error) {
	var out []PortRequest
	for port, bs := range bindings {
		if !port.IsValid() {
			continue
		}
		proto := string(port.Proto())
		if proto != "tcp" && proto != "udp" {
			return nil, fmt.Errorf("unsupported protocol %q for port %d", proto, port.Num())
		}
		if len(bs) == 0 {
			bs = []network.PortBinding{{}}
		}
		for _, b := range bs {
			lo, hi, err := parseHostPort(b.HostPort)
			if err != nil {
				return nil, err
			}
			if ip := b.HostIP.Unmap(); ip.Is6() && (ip.IsLoopback() || ip.Zone() != "" || ip.IsLinkLocalUnicast()) {
				// DNAT cannot lead there without a userland proxy.
				return nil, fmt.Errorf("publishing port %s on host address [%s] is not supported: tug publishes IPv6 ports on global or unique-local addresses only", port, ip)
			}
			out = append(out, PortRequest{Proto: proto, HostIP: unspecifiedToZero(b.HostIP.Unmap()), HostLow: lo, HostHigh: hi, ContainerPort: port.Num()})
		}
	}
	if publishAll {
		for port := range exposed {
			if _, bound := bindings[port]; bound || !port.IsValid() {
				continue
			}
			proto := string(port.Proto())
			if proto != "tcp" && proto != "udp" {
				continue
			}
			out = append(out, PortRequest{Proto: proto, ContainerPort: port.Num()})
		}
	}
	slices.SortFunc(out, func(a, b PortRequest) int {
		return cmp.Or(cmp.Compare(a.ContainerPort, b.ContainerPort), cmp.Compare(a.Proto, b.Proto),
			a.HostIP.Compare(b.HostIP), cmp.Compare(a.HostLow, b.HostLow))
	})
	return out, nil
}

// unspecifiedToZero makes 0.0.0.0 "every address"; "::" stays (every
// IPv6 address only, as in Docker).
func unspecifiedToZero(a netip.Addr) netip.Addr {
	if a.IsValid() && a.Is4() && a.IsUnspecified() {
		return netip.Addr{}
	}
	return a
}

// parseHostPort parses "", "0", "8080" or "8000-8010".
func parseHostPort(s string) (lo, hi uint16, err error) {
	if s == "" || s == "0" {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	l, err := strconv.ParseUint(a, 10, 16)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid host port %q", s)
	}
	h := l
	if isRange {
		if h, err = strconv.ParseUint(b, 10, 16); err != nil || h < l {
			return 0, 0, fmt.Errorf("invalid host port range %q", s)
		}
	}
	return uint16(l), uint16(h), nil
}

// Conflicts reports whether a mapping on proto/ip/port would clash with m:
// same protocol and port, and one of the addresses covers the other.
func (m PortMapping) Conflicts(proto string, ip netip.Addr, port uint16) bool {
	if m.Proto != proto || m.HostPort != port {
		return false
	}
	if !m.HostIP.IsValid() || !ip.IsValid() || m.HostIP == ip {
		return true
	}
	return m.HostIP.Is6() == ip.Is6() && (m.HostIP.IsUnspecified() || ip.IsUnspecified())
}

// PortMap is the NetworkSettings.Ports of a container: every exposed port,
// with its host bindings when published.
func PortMap(mappings []PortMapping, exposed network.PortSet) network.PortMap {
	pm := network.PortMap{}
	for p := range exposed {
		pm[p] = nil
	}
	for _, m := range mappings {
		p, ok := network.PortFrom(m.ContainerPort, network.IPProtocol(m.Proto))
		if !ok {
			continue
		}
		ip := m.HostIP
		if !ip.IsValid() {
			ip = netip.IPv4Unspecified()
		}
		pm[p] = append(pm[p], network.PortBinding{HostIP: ip, HostPort: strconv.Itoa(int(m.HostPort))})
	}
	return pm
}

// PortSummaries is the Ports column of `ps`: published mappings, then the
// exposed ports that are not published.
func PortSummaries(mappings []PortMapping, exposed network.PortSet) []container.PortSummary {
	out := []container.PortSummary{}
	published := map[network.Port]bool{}
	for _, m := range mappings {
		ip := m.HostIP
		if !ip.IsValid() {
			ip = netip.IPv4Unspecified()
		}
		out = append(out, container.PortSummary{IP: ip, PrivatePort: m.ContainerPort, PublicPort: m.HostPort, Type: m.Proto})
		if p, ok := network.PortFrom(m.ContainerPort, network.IPProtocol(m.Proto)); ok {
			published[p] = true
		}
	}
	for p := range exposed {
		if !published[p] {
			out = append(out, container.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
		}
	}
	slices.SortFunc(out, func(a, b container.PortSummary) int {
		return cmp.Or(cmp.Compare(a.PrivatePort, b.PrivatePort), cmp.Compare(a.Type, b.Type), cmp.Compare(a.PublicPort, b.PublicPort))
	})
	return out
}
