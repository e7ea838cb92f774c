package opts

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/moby/moby/api/types/network"
)

// EndpointSettings are the endpoint settings of --network-alias (or
// --alias), --ip, --ip6, --link-local-ip and --mac-address, with the
// docker CLI's errors for malformed values.
func EndpointSettings(aliases []string, ip, ip6 string, linkLocal []string, mac string) (*network.EndpointSettings, error) {
	es := &network.EndpointSettings{Aliases: aliases}
	var ipam network.EndpointIPAMConfig
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("invalid argument %q for \"--ip\" flag: invalid IPv4 address", ip)
		}
		ipam.IPv4Address = a
	}
	if ip6 != "" {
		a, err := netip.ParseAddr(ip6)
		if err != nil || !a.Is6() || a.Is4In6() {
			return nil, fmt.Errorf("invalid argument %q for \"--ip6\" flag: invalid IPv6 address", ip6)
		}
		ipam.IPv6Address = a
	}
	for _, s := range linkLocal {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--link-local-ip\" flag: invalid IP address", s)
		}
		ipam.LinkLocalIPs = append(ipam.LinkLocalIPs, a)
	}
	if ipam.IPv4Address.IsValid() || ipam.IPv6Address.IsValid() || len(ipam.LinkLocalIPs) > 0 {
		es.IPAMConfig = &ipam
	}
	if mac != "" {
		hw, err := net.ParseMAC(mac)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--mac-address\" flag: %s is not a valid mac address", mac, mac)
		}
		es.MacAddress = network.HardwareAddr(hw)
	}
	return es, nil
}
