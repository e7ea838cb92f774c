package controller

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
)

func TestEndpointConfigRefusesWhatDockerRefuses(t *testing.T) {
	def := &tugnet.Network{ID: "d", Name: tugnet.DefaultNetwork, Subnet: netip.MustParsePrefix("172.30.0.0/24")}
	picked := &tugnet.Network{ID: "p", Name: "picked", Subnet: netip.MustParsePrefix("172.30.1.0/24")}
	user := userNet()
	ipam := func(a string) *network.EndpointIPAMConfig {
		return &network.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr(a)}
	}
	tests := []struct {
		name    string
		nw      *tugnet.Network
		es      network.EndpointSettings
		wantErr string // "" for accepted
	}{
		{"alias on the default network", def, network.EndpointSettings{Aliases: []string{"db"}},
			"network-scoped alias is supported only for containers in user defined networks"},
		{"address on a picked subnet", picked, network.EndpointSettings{IPAMConfig: ipam("172.30.1.9")},
			"user specified IP address is supported on user defined networks only"},
		{"address outside the subnet", user, network.EndpointSettings{IPAMConfig: ipam("10.9.1.9")},
			"no configured subnet or ip-range contain the IP address 10.9.1.9"},
		{"alias and address on a user subnet", user, network.EndpointSettings{Aliases: []string{"db"}, IPAMConfig: ipam("10.9.0.9")}, ""},
		{"nothing asked on the default network", def, network.EndpointSettings{}, ""},
		{"a MAC on the default network", def, network.EndpointSettings{MacAddress: mac("02:42:de:ad:be:ef")}, ""},
		{"a multicast MAC", def, network.EndpointSettings{MacAddress: mac("01:00:5e:00:00:01")},
			"invalid MAC address 01:00:5e:00:00:01: a unicast Ethernet address is needed"},
		{"link-local addresses on a user network", user, network.EndpointSettings{IPAMConfig: &network.EndpointIPAMConfig{
			LinkLocalIPs: []netip.Addr{netip.MustParseAddr("169.254.3.4"), netip.MustParseAddr("fe80::9")}}}, ""},
		{"a link-local address on the default network", def, network.EndpointSettings{IPAMConfig: &network.EndpointIPAMConfig{
			LinkLocalIPs: []netip.Addr{netip.MustParseAddr("169.254.3.4")}}}, "user specified IP address is supported on user defined networks only"},
		{"a link-local address that is not one", user, network.EndpointSettings{IPAMConfig: &network.EndpointIPAMConfig{
			LinkLocalIPs: []netip.Addr{netip.MustParseAddr("10.9.0.7")}}}, "invalid link-local IP address: 10.9.0.7"},
		{"an IPv6 address as --ip", user, network.EndpointSettings{IPAMConfig: ipam("fd00::7")}, "invalid IPv4 address: fd00::7"},
	}
	for _, tt := range tests {
		var ep tugnet.Endpoint
		err := endpointConfig(tt.nw, &tt.es, &ep)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, errdefs.ErrInvalidParameter) {
				t.Errorf("%s: endpointConfig() = %v, want invalid parameter %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: endpointConfig() = %v, want nil", tt.name, err)
			continue
		}
		if !slices.Equal(ep.Aliases, tt.es.Aliases) {
			t.Errorf("%s: aliases = %v, want %v", tt.name, ep.Aliases, tt.es.Aliases)
		}
		if tt.es.IPAMConfig != nil && ep.RequestedIP != tt.es.IPAMConfig.IPv4Address {
			t.Errorf("%s: requested IP = %s, want %s", tt.name, ep.RequestedIP, tt.es.IPAMConfig.IPv4Address)
		}
		if tt.es.IPAMConfig != nil && !slices.Equal(ep.LinkLocalIPs, tt.es.IPAMConfig.LinkLocalIPs) {
			t.Errorf("%s: link-local IPs = %v, want %v", tt.name, ep.LinkLocalIPs, tt.es.IPAMConfig.LinkLocalIPs)
		}
		if want := net.HardwareAddr(tt.es.MacAddress).String(); len(tt.es.MacAddress) > 0 && ep.RequestedMAC != want {
			t.Errorf("%s: requested MAC = %q, want %q", tt.name, ep.RequestedMAC, want)
		}
	}
}

func mac(s string) network.HardwareAddr {
	hw, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return network.HardwareAddr(hw)
}
