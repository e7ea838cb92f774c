package opts

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/moby/moby/api/types/network"
)

// IPAMConfigs are the IPAM configs of network create's --subnet,
// --gateway and --ip-range (each may be repeated: one IPv4 and one IPv6
// subnet, say): every gateway and range goes with the subnet containing
// it, with the docker CLI's errors.
func IPAMConfigs(subnets, gateways, ranges []string) ([]network.IPAMConfig, error) {
	var out []network.IPAMConfig
	for _, s := range subnets {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("invalid subnet %s: %w", s, err)
		}
		out = append(out, network.IPAMConfig{Subnet: p})
	}
	if len(out) == 0 && (len(gateways) > 0 || len(ranges) > 0) {
		return nil, errors.New("every ip-range or gateway must have a corresponding subnet")
	}
	for _, g := range gateways {
		a, err := netip.ParseAddr(g)
		if err != nil {
			return nil, fmt.Errorf("invalid gateway %s: %w", g, err)
		}
		i := matching(out, a)
		if i < 0 {
			return nil, fmt.Errorf("no matching subnet for gateway %s", g)
		}
		if out[i].Gateway.IsValid() {
			return nil, fmt.Errorf("cannot configure multiple gateways (%s, %s) for the same subnet (%s)", out[i].Gateway, g, out[i].Subnet)
		}
		out[i].Gateway = a
	}
	for _, r := range ranges {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return nil, fmt.Errorf("invalid ip-range %s: %w", r, err)
		}
		i := matching(out, p.Addr())
		if i < 0 {
			return nil, fmt.Errorf("no matching subnet for range %s", r)
		}
		out[i].IPRange = p
	}
	return out, nil
}

func matching(cfgs []network.IPAMConfig, a netip.Addr) int {
	for i, c := range cfgs {
		if c.Subnet.Contains(a) {
			return i
		}
	}
	return -1
}
