package network

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func TestStoreUpdate(t *testing.T) {
	path := t.TempDir() + "/state.json"
	s, err := OpenStore(path, "")
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
	s2, err := OpenStore(path, "")
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
	s, err := OpenStore(path, "")
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

// twoFileStore opens a store with a durable and a runtime file in dir.
func twoFileStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(dir, "data", "state.json"), filepath.Join(dir, "run", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runningDefaultSandbox is a started container on the default bridge with
// nothing asked of its endpoint: derivable.
func runningDefaultSandbox(st *State, id string) {
	st.Sandboxes[id] = &Sandbox{ContainerID: id, DefaultMode: true, NetNS: "/run/netns/" + id,
		Endpoints: []*Endpoint{{NetworkID: "b", ID: "e1", IP: netip.MustParseAddr("172.30.0.2"), HostVeth: "tugve1", IfName: "eth0"}}}
	st.Networks["b"].LastIP = netip.MustParseAddr("172.30.0.2")
}

func withNetworks(st *State) error {
	st.Networks["b"] = &Network{ID: "b", Name: DefaultNetwork, Bridge: "tug0", Subnet: netip.MustParsePrefix("172.30.0.0/24")}
	st.Networks["u"] = &Network{ID: "u", Name: "user", Bridge: "tug-u", Subnet: netip.MustParsePrefix("172.30.1.0/24")}
	return nil
}

// TestStoreStartOfADefaultBridgeContainerChangesOnlyTheRuntimeFile: a
// derivable sandbox's create, start and removal leave the durable file
// (fsynced) alone; a tugd opening the same files sees all of it.
func TestStoreStartOfADefaultBridgeContainerChangesOnlyTheRuntimeFile(t *testing.T) {
	dir := t.TempDir()
	s := twoFileStore(t, dir)
	if err := s.Update(withNetworks); err != nil {
		t.Fatal(err)
	}
	durable := filepath.Join(dir, "data", "state.json")
	before, err := os.Stat(durable)
	if err != nil {
		t.Fatal(err)
	}
	unwritten := func(when string) {
		t.Helper()
		// A write replaces the file: another inode.
		if after, err := os.Stat(durable); err != nil || !os.SameFile(before, after) {
			t.Errorf("durable file after %s: rewritten (%v), want left alone", when, err)
		}
	}
	if err := s.Update(func(st *State) error { runningDefaultSandbox(st, "c1"); return nil }); err != nil {
		t.Fatal(err)
	}
	unwritten("a derivable sandbox's start")
	got := twoFileStore(t, dir).Snapshot() // a tugd restarted after a SIGKILL
	sb := got.Sandboxes["c1"]
	if sb == nil || sb.NetNS == "" || sb.Endpoints[0].IP != netip.MustParseAddr("172.30.0.2") || sb.Endpoints[0].HostVeth != "tugve1" {
		t.Fatalf("sandbox after reopening = %+v, want its namespace, address and veth", sb)
	}
	if n, err := got.Network("user"); err != nil || n.ID != "u" {
		t.Errorf("Network(user) after reopening = %v, %v", n, err)
	}
	if got.Networks["b"].LastIP != netip.MustParseAddr("172.30.0.2") {
		t.Errorf("LastIP after reopening = %v, want 172.30.0.2", got.Networks["b"].LastIP)
	}
	if err := s.Update(func(st *State) error { delete(st.Sandboxes, "c1"); return nil }); err != nil {
		t.Fatal(err)
	}
	unwritten("a derivable sandbox's removal")
	if sb := twoFileStore(t, dir).Snapshot().Sandboxes["c1"]; sb != nil {
		t.Errorf("removed sandbox after reopening: %+v", sb)
	}
}

// TestStoreMachineCrashKeepsNetworksAndConfiguredSandboxes: without the
// runtime file (a reboot empties the exec root), or with a torn one, the
// durable file still gives the networks and the sandboxes that cannot be
// derived (here: one with an alias on a user network), without the
// addresses a reboot voided.
func TestStoreMachineCrashKeepsNetworksAndConfiguredSandboxes(t *testing.T) {
	for _, runtimeFile := range []string{"", "{\"sandboxes\": {\"c1\""} {
		dir := t.TempDir()
		s := twoFileStore(t, dir)
		if err := s.Update(withNetworks); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(func(st *State) error {
			runningDefaultSandbox(st, "c1")
			st.Sandboxes["c2"] = &Sandbox{ContainerID: "c2", NetNS: "/run/netns/c2", Endpoints: []*Endpoint{
				{NetworkID: "u", Aliases: []string{"db"}, ID: "e2", IP: netip.MustParseAddr("172.30.1.2"), HostVeth: "tugve2"}}}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		rt := filepath.Join(dir, "run", "state.json")
		if runtimeFile == "" {
			_ = os.Remove(rt)
		} else if err := os.WriteFile(rt, []byte(runtimeFile), 0o600); err != nil {
			t.Fatal(err)
		}
		got := twoFileStore(t, dir).Snapshot()
		if len(got.Networks) != 2 {
			t.Errorf("networks after the crash: %d, want 2", len(got.Networks))
		}
		if got.Sandboxes["c1"] != nil {
			t.Errorf("derivable sandbox after the crash: %+v, want it derived again at start", got.Sandboxes["c1"])
		}
		sb := got.Sandboxes["c2"]
		if sb == nil || len(sb.Endpoints) != 1 || sb.Endpoints[0].Aliases[0] != "db" {
			t.Fatalf("configured sandbox after the crash = %+v, want its endpoint and alias", sb)
		}
		if sb.NetNS != "" || sb.Endpoints[0].Active() || sb.Endpoints[0].HostVeth != "" {
			t.Errorf("configured sandbox after the crash holds %q, %v, %q: want nothing a reboot voided", sb.NetNS, sb.Endpoints[0].IP, sb.Endpoints[0].HostVeth)
		}
	}
}

func TestSandboxDerivable(t *testing.T) {
	st := &State{Networks: map[string]*Network{}}
	_ = withNetworks(st)
	ep := func(net string) []*Endpoint { return []*Endpoint{{NetworkID: net}} }
	for _, tc := range []struct {
		name string
		s    Sandbox
		want bool
	}{
		{"default mode, one unconfigured endpoint on the default bridge", Sandbox{DefaultMode: true, Endpoints: ep("b")}, true},
		{"running: addresses are not configuration", Sandbox{DefaultMode: true, NetNS: "x", Endpoints: []*Endpoint{{NetworkID: "b", IP: netip.MustParseAddr("172.30.0.9")}}}, true},
		{"another mode", Sandbox{Endpoints: ep("b")}, false},
		{"on a user network", Sandbox{DefaultMode: true, Endpoints: ep("u")}, false},
		{"connected to a second network", Sandbox{DefaultMode: true, Endpoints: append(ep("b"), ep("u")...)}, false},
		{"disconnected", Sandbox{DefaultMode: true}, false},
		{"requested address", Sandbox{DefaultMode: true, Endpoints: []*Endpoint{{NetworkID: "b", RequestedIP: netip.MustParseAddr("172.30.0.9")}}}, false},
		{"requested MAC", Sandbox{DefaultMode: true, Endpoints: []*Endpoint{{NetworkID: "b", RequestedMAC: "02:42:ac:11:00:09"}}}, false},
		{"link-local address", Sandbox{DefaultMode: true, Endpoints: []*Endpoint{{NetworkID: "b", LinkLocalIPs: []netip.Addr{netip.MustParseAddr("169.254.1.1")}}}}, false},
	} {
		if got := tc.s.Derivable(st); got != tc.want {
			t.Errorf("%s: Derivable() = %v, want %v", tc.name, got, tc.want)
		}
	}
}
