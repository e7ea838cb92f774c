package controller

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
)

func TestAddNetworkAppliesSubnetAndGatewayRules(t *testing.T) {
	pfx, addr := netip.MustParsePrefix, netip.MustParseAddr
	ipam := func(subnet, gw string) *network.IPAM {
		var c network.IPAMConfig
		if subnet != "" {
			c.Subnet = pfx(subnet)
		}
		if gw != "" {
			c.Gateway = addr(gw)
		}
		return &network.IPAM{Config: []network.IPAMConfig{c}}
	}
	const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name       string
		req        network.CreateRequest
		routes     []netip.Prefix
		wantSubnet string
		wantGW     string
		wantUser   bool
		wantErr    error
	}{
		{"picked from the pools clear of routes and networks", network.CreateRequest{Name: "n"},
			[]netip.Prefix{pfx("172.30.1.0/24")}, "172.30.2.0/24", "172.30.2.1", false, nil},
		{"asked subnet, masked, first host as gateway", network.CreateRequest{Name: "n", IPAM: ipam("10.5.0.7/16", "")},
			nil, "10.5.0.0/16", "10.5.0.1", true, nil},
		{"asked gateway", network.CreateRequest{Name: "n", IPAM: ipam("10.5.0.0/16", "10.5.9.9")},
			nil, "10.5.0.0/16", "10.5.9.9", true, nil},
		{"a route does not stop an asked subnet", network.CreateRequest{Name: "n", IPAM: ipam("10.5.0.0/16", "")},
			[]netip.Prefix{pfx("10.0.0.0/8")}, "10.5.0.0/16", "10.5.0.1", true, nil},
		{"name taken", network.CreateRequest{Name: "old"}, nil, "", "", false, errdefs.ErrConflict},
		{"IPv6 subnet", network.CreateRequest{Name: "n", IPAM: ipam("fd00::/64", "")}, nil, "", "", false, errdefs.ErrInvalidParameter},
		{"overlaps a network", network.CreateRequest{Name: "n", IPAM: ipam("172.30.0.128/25", "")}, nil, "", "", false, errdefs.ErrForbidden},
		{"gateway outside the subnet", network.CreateRequest{Name: "n", IPAM: ipam("10.5.0.0/16", "10.6.0.1")}, nil, "", "", false, errdefs.ErrInvalidParameter},
		{"gateway without a subnet", network.CreateRequest{Name: "n", IPAM: ipam("", "10.6.0.1")}, nil, "", "", false, errdefs.ErrInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := stateWith(&tugnet.Network{ID: "o", Name: "old", Subnet: pfx("172.30.0.0/24")})
			nw, err := addNetwork(st, id, tt.req, tugnet.DefaultPools, tt.routes)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("addNetwork() = %v, want %v", err, tt.wantErr)
				}
				if len(st.Networks) != 1 {
					t.Fatalf("addNetwork() failed but recorded a network")
				}
				return
			}
			if err != nil {
				t.Fatalf("addNetwork() = %v, want nil", err)
			}
			if nw.Subnet.String() != tt.wantSubnet || nw.Gateway.String() != tt.wantGW || nw.UserSubnet != tt.wantUser {
				t.Fatalf("addNetwork() = %s gateway %s user %v, want %s gateway %s user %v",
					nw.Subnet, nw.Gateway, nw.UserSubnet, tt.wantSubnet, tt.wantGW, tt.wantUser)
			}
			if st.Networks[id] != nw || nw.Bridge != "tug-0123456789a" || nw.Driver != "bridge" {
				t.Fatalf("addNetwork() recorded %v with bridge %q driver %q, want it under its ID on tug-0123456789a", st.Networks[id], nw.Bridge, nw.Driver)
			}
		})
	}
}

func TestAddNetworkTakesTheBridgeNameOption(t *testing.T) {
	req := network.CreateRequest{Name: "n", Options: map[string]string{"com.docker.network.bridge.name": "br-test"}}
	nw, err := addNetwork(stateWith(), "0123456789abcdef", req, tugnet.DefaultPools, nil)
	if err != nil || nw.Bridge != "br-test" {
		t.Fatalf("addNetwork() = %v, bridge %q; want nil, br-test", err, nw.Bridge)
	}
}

func TestAddNetworkRefusesBadOptionsNamingThem(t *testing.T) {
	tests := []struct {
		name string
		opts map[string]string
		want string
	}{
		{"unknown option", map[string]string{"com.docker.network.bridge.gateway_mode_ipv4": "routed"}, "com.docker.network.bridge.gateway_mode_ipv4"},
		{"bad MTU", map[string]string{"com.docker.network.driver.mtu": "big"}, "com.docker.network.driver.mtu"},
		{"bridge name of another network", map[string]string{"com.docker.network.bridge.name": "tug-o"}, "bridge name tug-o is used by network old"},
	}
	for _, tt := range tests {
		st := stateWith(&tugnet.Network{ID: "o", Name: "old", Bridge: "tug-o", Subnet: netip.MustParsePrefix("172.30.0.0/24")})
		_, err := addNetwork(st, "0123456789abcdef", network.CreateRequest{Name: "n", Options: tt.opts}, tugnet.DefaultPools, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || len(st.Networks) != 1 {
			t.Errorf("%s: addNetwork() = %v, want an error naming %q and nothing recorded", tt.name, err, tt.want)
		}
	}
}

func TestWithHostBindingUsesThePortsNetworkOption(t *testing.T) {
	a := netip.MustParseAddr
	bound := &tugnet.Network{ID: "b", Name: "bound", Options: map[string]string{tugnet.OptHostBindingIPv4: "127.0.0.1"}}
	internal := &tugnet.Network{ID: "i", Name: "in", Internal: true, Options: map[string]string{tugnet.OptHostBindingIPv4: "127.0.0.2"}}
	st := stateWith(bound, internal)
	s := &tugnet.Sandbox{Endpoints: []*tugnet.Endpoint{{NetworkID: "i", IP: a("10.0.1.2")}, {NetworkID: "b", IP: a("10.0.0.2")}}}
	reqs := []tugnet.PortRequest{{Proto: "tcp", ContainerPort: 80}, {Proto: "tcp", HostIP: a("0.0.0.0"), ContainerPort: 81}}
	got := withHostBinding(st, s, reqs)
	if got[0].HostIP != a("127.0.0.1") || got[1].HostIP != a("0.0.0.0") || reqs[0].HostIP.IsValid() {
		t.Errorf("withHostBinding() = %+v (input now %+v); want 127.0.0.1 for the unbound port, the rest untouched", got, reqs)
	}
}
