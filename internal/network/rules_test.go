package network

import (
	"net/netip"
	"os"
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

func TestStoreUpdate(t *testing.T) {
	path := t.TempDir() + "/state.json"
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(st *State) error {
		st.Networks["n"] = &Network{ID: "n", Name: "x"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = s.Update(func(st *State) error {
		delete(st.Networks, "n")
		return ErrPoolExhausted // a failed update changes nothing
	})
	s2, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*State{s.Snapshot(), s2.Snapshot()} {
		if n, err := st.Network("x"); err != nil || n.ID != "n" {
			t.Errorf("Network(x) = %v, %v, want n", n, err)
		}
	}
}

// TestStoreUpdateThatChangesNothingIsNotWritten: releasing a sandbox the
// state does not hold writes no file (no fsync on the --network none path).
func TestStoreUpdateThatChangesNothingIsNotWritten(t *testing.T) {
	path := t.TempDir() + "/state.json"
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(st *State) error {
		st.Networks["n"] = &Network{ID: "n", Name: "x"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(st *State) error {
		delete(st.Sandboxes, "no-such-sandbox")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("state file after an update that changed nothing: %v, want none written", err)
	}
	if n, err := s.Snapshot().Network("x"); err != nil || n.ID != "n" {
		t.Errorf("Network(x) = %v, %v, want n", n, err)
	}
}
