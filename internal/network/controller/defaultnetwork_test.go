package controller

import (
	"net/netip"
	"testing"

	tugnet "github.com/tug-project/tug/internal/network"
)

func TestEnsureDefaultNetworksChoosesTheDefaultSubnet(t *testing.T) {
	pfx := netip.MustParsePrefix
	def := func(subnet string, busy bool) func(*tugnet.State) {
		return func(st *tugnet.State) {
			p := pfx(subnet)
			st.Networks["def"] = &tugnet.Network{ID: "def", Name: tugnet.DefaultNetwork, Driver: "bridge", Bridge: "tug0",
				Subnet: p, Gateway: tugnet.FirstHost(p), Options: map[string]string{"com.docker.network.bridge.name": "tug0"}}
			if busy {
				st.Sandboxes["c"] = &tugnet.Sandbox{ContainerID: "c", Endpoints: []*tugnet.Endpoint{{NetworkID: "def", IP: tugnet.FirstHost(p).Next()}}}
			}
		}
	}
	userOn := func(subnet string) func(*tugnet.State) {
		return func(st *tugnet.State) {
			st.Networks["u"] = &tugnet.Network{ID: "u", Name: "u", Driver: "bridge", Bridge: "tug-u", Subnet: pfx(subnet)}
		}
	}
	tests := []struct {
		name   string
		given  []func(*tugnet.State)
		bip    string
		routes []netip.Prefix
		want   string // subnet
		wantGW string
	}{
		{"first pool subnet", nil, "", nil, "172.30.0.0/24", "172.30.0.1"},
		{"clear of the host's routes", nil, "", []netip.Prefix{pfx("172.30.0.0/23")}, "172.30.2.0/24", "172.30.2.1"},
		{"clear of user networks", []func(*tugnet.State){userOn("172.30.0.0/24")}, "", nil, "172.30.1.0/24", "172.30.1.1"},
		{"bip wins", nil, "10.20.0.5/16", nil, "10.20.0.0/16", "10.20.0.5"},
		{"an existing subnet is kept", []func(*tugnet.State){def("172.30.7.0/24", false)}, "", nil, "172.30.7.0/24", "172.30.7.1"},
		{"an idle one colliding with a route moves", []func(*tugnet.State){def("172.30.0.0/24", false)}, "",
			[]netip.Prefix{pfx("172.30.0.0/24")}, "172.30.1.0/24", "172.30.1.1"},
		{"a busy one colliding with a route stays", []func(*tugnet.State){def("172.30.0.0/24", true)}, "",
			[]netip.Prefix{pfx("172.30.0.0/24")}, "172.30.0.0/24", "172.30.0.1"},
		{"an idle one moves to a new bip", []func(*tugnet.State){def("172.30.0.0/24", false)}, "10.20.0.1/24", nil, "10.20.0.0/24", "10.20.0.1"},
		{"a busy one waits for a new bip", []func(*tugnet.State){def("172.30.0.0/24", true)}, "10.20.0.1/24", nil, "172.30.0.0/24", "172.30.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := stateWith()
			for _, g := range tt.given {
				g(st)
			}
			var bip netip.Prefix
			if tt.bip != "" {
				bip = pfx(tt.bip)
			}
			if err := ensureDefaultNetworks(st, "tug0", bip, tugnet.DefaultPools, tt.routes); err != nil {
				t.Fatalf("ensureDefaultNetworks() = %v, want nil", err)
			}
			d := st.DefaultNetwork()
			if d == nil {
				t.Fatalf("ensureDefaultNetworks() made no default network")
			}
			if d.Subnet.String() != tt.want || d.Gateway.String() != tt.wantGW {
				t.Fatalf("default network on %s gateway %s, want %s gateway %s", d.Subnet, d.Gateway, tt.want, tt.wantGW)
			}
			if d.Bridge != "tug0" || d.Options["com.docker.network.bridge.name"] != "tug0" {
				t.Fatalf("default network bridge %q, option %q, want tug0", d.Bridge, d.Options["com.docker.network.bridge.name"])
			}
			for name, driver := range map[string]string{"host": "host", "none": "null"} {
				if n, err := st.Network(name); err != nil || n.Driver != driver {
					t.Fatalf("network %s = %v, %v; want driver %s", name, n, err, driver)
				}
			}
		})
	}
}

func TestEnsureDefaultNetworksFailsWhenThePoolsAreFull(t *testing.T) {
	err := ensureDefaultNetworks(stateWith(), "tug0", netip.Prefix{}, tugnet.DefaultPools, []netip.Prefix{netip.MustParsePrefix("172.30.0.0/16")})
	if err != tugnet.ErrPoolExhausted {
		t.Fatalf("ensureDefaultNetworks() = %v, want %v", err, tugnet.ErrPoolExhausted)
	}
}
