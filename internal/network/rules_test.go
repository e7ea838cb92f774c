package network

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlan(t *testing.T) {
	a := netip.MustParseAddr
	st := &State{
		Networks: map[string]*Network{
			"n1": {ID: "n1", Name: "bridge", Bridge: "tug0", Subnet: netip.MustParsePrefix("172.30.0.0/24")},
			"n2": {ID: "n2", Name: "back", Bridge: "tug-n2", Subnet: netip.MustParsePrefix("172.30.1.0/24"), Internal: true},
		},
		Sandboxes: map[string]*Sandbox{
			"c1": {ContainerID: "c1", Endpoints: []*Endpoint{{NetworkID: "n1", IP: a("172.30.0.2")}},
				Ports: []PortMapping{{Proto: "tcp", HostPort: 8080, ContainerPort: 80}}},
			// Internal first: ports lead to the first non-internal endpoint.
			"c2": {ContainerID: "c2", Endpoints: []*Endpoint{{NetworkID: "n2", IP: a("172.30.1.2")}, {NetworkID: "n1", IP: a("172.30.0.3")}},
				Ports: []PortMapping{{Proto: "udp", HostPort: 5353, ContainerPort: 53}}},
			// Stopped: no address, no rules.
			"c3": {ContainerID: "c3", Endpoints: []*Endpoint{{NetworkID: "n1"}}},
		},
	}
	want := Ruleset{
		Bridges: []BridgeRules{
			{Bridge: "tug-n2", Subnet: netip.MustParsePrefix("172.30.1.0/24"), Internal: true},
			{Bridge: "tug0", Subnet: netip.MustParsePrefix("172.30.0.0/24")},
		},
		Ports: []PortRule{
			{PortMapping: PortMapping{Proto: "tcp", HostPort: 8080, ContainerPort: 80}, ContainerIP: a("172.30.0.2")},
			{PortMapping: PortMapping{Proto: "udp", HostPort: 5353, ContainerPort: 53}, ContainerIP: a("172.30.0.3")},
		},
	}
	eq := cmp.Comparer(func(x, y netip.Addr) bool { return x == y })
	peq := cmp.Comparer(func(x, y netip.Prefix) bool { return x == y })
	if diff := cmp.Diff(want, Plan(st), eq, peq); diff != "" {
		t.Errorf("Plan() mismatch (-want +got):\n%s", diff)
	}
}
