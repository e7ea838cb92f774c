package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Pool is a range subnets are carved from (daemon.json
// "default-address-pools": {"base": "172.30.0.0/16", "size": 24}).
type Pool struct {
	Base netip.Prefix `json:"base"`
	Size int          `json:"size"`
}

// DefaultPools is where tug carves its networks from when daemon.json
// names none: 172.30.0.0/16 in /24s, clear of Docker's 172.17-172.29.
var DefaultPools = []Pool{{Base: netip.MustParsePrefix("172.30.0.0/16"), Size: 24}}

// ErrPoolExhausted means no subnet of the pools is free.
var ErrPoolExhausted = errors.New("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")

// PickSubnet returns the first subnet carved from pools that overlaps none
// of avoid (the host's routes and the subnets of existing networks).
func PickSubnet(pools []Pool, avoid []netip.Prefix) (netip.Prefix, error) {
	for _, p := range pools {
		base := p.Base.Masked()
		if !base.Addr().Is4() || p.Size < base.Bits() || p.Size > 30 {
			continue
		}
		n := uint64(1) << (p.Size - base.Bits())
		start := ip4ToUint(base.Addr())
		step := uint32(1) << (32 - p.Size)
		for i := uint64(0); i < n; i++ {
			cand := netip.PrefixFrom(uintToIP4(start+uint32(i)*step), p.Size)
			if !overlapsAny(cand, avoid) {
				return cand, nil
			}
		}
	}
	return netip.Prefix{}, ErrPoolExhausted
}

func overlapsAny(p netip.Prefix, avoid []netip.Prefix) bool {
	for _, a := range avoid {
		if a.IsValid() && a.Addr().Is4() && p.Overlaps(a) {
			return true
		}
	}
	return false
}

// Overlaps reports whether p overlaps one of others.
func Overlaps(p netip.Prefix, others []netip.Prefix) bool { return overlapsAny(p, others) }

// FirstHost is the first usable address of subnet: Docker's default gateway.
func FirstHost(subnet netip.Prefix) netip.Addr { return subnet.Masked().Addr().Next() }

// NextIP returns a free host address of subnet, searching round-robin
// after last (as Docker does, so a released address is not reused at once)
// and skipping the network and broadcast addresses and everything in used
// (the gateway among them).
func NextIP(subnet netip.Prefix, used map[netip.Addr]bool, last netip.Addr) (netip.Addr, error) {
	subnet = subnet.Masked()
	if !subnet.Addr().Is4() || subnet.Bits() > 30 {
		return netip.Addr{}, fmt.Errorf("subnet %s: only IPv4 subnets of /30 or larger are supported", subnet)
	}
	first := ip4ToUint(subnet.Addr()) + 1
	size := uint32(1)<<(32-subnet.Bits()) - 2 // without network and broadcast
	start := uint32(0)
	if last.IsValid() && subnet.Contains(last) {
		if off := ip4ToUint(last) - first + 1; off < size {
			start = off
		}
	}
	for i := uint32(0); i < size; i++ {
		a := uintToIP4(first + (start+i)%size)
		if !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("no available IPv4 addresses on this network's address pools: %s", subnet)
}

// NextIP6 returns the next free address of the IPv6 subnet after last
// (round-robin), skipping used ones and the subnet-router anycast
// address (the subnet's own).
func NextIP6(subnet netip.Prefix, used map[netip.Addr]bool, last netip.Addr) (netip.Addr, error) {
	subnet = subnet.Masked()
	if !subnet.Addr().Is6() || subnet.Bits() > 124 {
		return netip.Addr{}, fmt.Errorf("subnet %s: only IPv6 subnets of /124 or larger are supported", subnet)
	}
	first := subnet.Addr().Next()
	a := first
	if last.IsValid() && subnet.Contains(last) {
		a = last.Next()
	}
	for range 1 << 16 {
		if !a.IsValid() || !subnet.Contains(a) {
			a = first
		}
		if !used[a] {
			return a, nil
		}
		a = a.Next()
	}
	return netip.Addr{}, fmt.Errorf("no available IPv6 addresses on this network's address pools: %s", subnet)
}

// MACFromIP derives a container's MAC from its IPv4 address the way
// Docker does: 02:42 followed by the four address bytes.
func MACFromIP(ip netip.Addr) net.HardwareAddr {
	b := ip.As4()
	return net.HardwareAddr{0x02, 0x42, b[0], b[1], b[2], b[3]}
}

func ip4ToUint(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func uintToIP4(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}
