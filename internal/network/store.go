package network

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tug-project/tug/internal/atomicfile"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/trace"
)

// DefaultNetwork is the name of the default bridge network.
const DefaultNetwork = "bridge"

// Network is a bridge network.
type Network struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Driver   string            `json:"driver"`
	Created  time.Time         `json:"created"`
	Bridge   string            `json:"bridge"` // the host interface
	Subnet   netip.Prefix      `json:"subnet"`
	Gateway  netip.Addr        `json:"gateway"`
	Internal bool              `json:"internal,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Options  map[string]string `json:"options,omitempty"`
	// UserSubnet is set when the subnet was asked for, not picked.
	UserSubnet bool `json:"userSubnet,omitempty"`
	// LastIP is the last address handed out, for round-robin allocation.
	LastIP netip.Addr `json:"lastIP,omitzero"`
	// Subnet6 and Gateway6 are set on IPv6 networks (--ipv6 --subnet
	// fd00::/64); LastIP6 is their LastIP.
	Subnet6  netip.Prefix `json:"subnet6,omitzero"`
	Gateway6 netip.Addr   `json:"gateway6,omitzero"`
	LastIP6  netip.Addr   `json:"lastIP6,omitzero"`
}

// IPv6 reports whether n has IPv6 addresses.
func (n *Network) IPv6() bool { return n.Subnet6.IsValid() }

// Default reports whether n is the default bridge network, which has no
// name resolution.
func (n *Network) Default() bool { return n.Name == DefaultNetwork }

// Endpoint is a container's attachment to a network. The address fields
// are set while the container runs.
type Endpoint struct {
	NetworkID   string     `json:"networkID"`
	Aliases     []string   `json:"aliases,omitempty"`
	RequestedIP netip.Addr `json:"requestedIP,omitzero"`
	// RequestedIP6 is --ip6's address.
	RequestedIP6 netip.Addr `json:"requestedIP6,omitzero"`
	// RequestedMAC is the MAC asked for (--mac-address, MacAddress);
	// without one the MAC is derived from the address.
	RequestedMAC string `json:"requestedMAC,omitempty"`
	// LinkLocalIPs are extra addresses of the interface (--link-local-ip).
	LinkLocalIPs []netip.Addr `json:"linkLocalIPs,omitempty"`
	// Links are --link's "name:alias" on a user network: alias resolves
	// to the container name for this sandbox only.
	Links []string `json:"links,omitempty"`

	ID       string     `json:"id,omitempty"`
	IP       netip.Addr `json:"ip,omitzero"`
	IP6      netip.Addr `json:"ip6,omitzero"`
	MAC      string     `json:"mac,omitempty"`
	HostVeth string     `json:"hostVeth,omitempty"`
	IfName   string     `json:"ifName,omitempty"`
}

// Active reports whether the endpoint holds an address.
func (e *Endpoint) Active() bool { return e.IP.IsValid() }

// Sandbox is a container's network configuration: its endpoints and, while
// it runs, its namespace and published ports.
type Sandbox struct {
	ContainerID string        `json:"containerID"`
	Name        string        `json:"name"`
	Hostname    string        `json:"hostname"`
	Endpoints   []*Endpoint   `json:"endpoints"`
	NetNS       string        `json:"netns,omitempty"`
	Ports       []PortMapping `json:"ports,omitempty"`
	// DefaultMode is set when the container's network mode (or the build
	// step's) is the default bridge: see Derivable.
	DefaultMode bool `json:"defaultMode,omitempty"`
}

// Derivable reports whether s is what its container's network mode alone
// gives (the mode is the default bridge, and s has one endpoint, there,
// with nothing asked of it: no alias, address, MAC or link), so that a
// sandbox lost in a machine crash is derived again, the same, from the
// container (the controller does so at start). The durable state leaves
// such sandboxes out.
func (s *Sandbox) Derivable(st *State) bool {
	if !s.DefaultMode || len(s.Endpoints) != 1 {
		return false
	}
	e := s.Endpoints[0]
	n := st.Networks[e.NetworkID]
	return n != nil && n.Default() && len(e.Aliases) == 0 && !e.RequestedIP.IsValid() && !e.RequestedIP6.IsValid() &&
		e.RequestedMAC == "" && len(e.LinkLocalIPs) == 0 && len(e.Links) == 0
}

// Endpoint returns s's endpoint on the network netID, or nil.
func (s *Sandbox) Endpoint(netID string) *Endpoint {
	for _, e := range s.Endpoints {
		if e.NetworkID == netID {
			return e
		}
	}
	return nil
}

// State is everything tug remembers about networking.
type State struct {
	Networks  map[string]*Network `json:"networks"`
	Sandboxes map[string]*Sandbox `json:"sandboxes"`
}

// Network finds a network by full ID, name, or unique ID prefix, with
// Docker's error text.
func (st *State) Network(ref string) (*Network, error) {
	if n, ok := st.Networks[ref]; ok {
		return n, nil
	}
	for _, n := range st.Networks {
		if n.Name == ref {
			return n, nil
		}
	}
	var found *Network
	if ref != "" {
		for id, n := range st.Networks {
			if strings.HasPrefix(id, ref) {
				if found != nil {
					return nil, errdefs.InvalidParameter("network %s is ambiguous (%d matches found based on ID prefix)", ref, 2)
				}
				found = n
			}
		}
	}
	if found == nil {
		return nil, errdefs.NotFound("network %s not found", ref)
	}
	return found, nil
}

// DefaultNetwork returns the default bridge network, or nil.
func (st *State) DefaultNetwork() *Network {
	for _, n := range st.Networks {
		if n.Default() {
			return n
		}
	}
	return nil
}

// UsedIPs returns the addresses, of both families, taken on network
// netID: its gateways and the addresses of active endpoints.
func (st *State) UsedIPs(netID string) map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	if n := st.Networks[netID]; n != nil {
		used[n.Gateway] = true
		if n.Gateway6.IsValid() {
			used[n.Gateway6] = true
		}
	}
	for _, s := range st.Sandboxes {
		for _, e := range s.Endpoints {
			if e.NetworkID == netID && e.Active() {
				used[e.IP] = true
				if e.IP6.IsValid() {
					used[e.IP6] = true
				}
			}
		}
	}
	return used
}

// Subnets returns the IPv4 subnets of all networks.
func (st *State) Subnets() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range st.Networks {
		out = append(out, n.Subnet)
	}
	return out
}

// Subnets6 returns the IPv6 subnets of all networks.
func (st *State) Subnets6() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range st.Networks {
		if n.Subnet6.IsValid() {
			out = append(out, n.Subnet6)
		}
	}
	return out
}

// Mappings returns every published port of every sandbox but skip's.
func (st *State) Mappings(skip string) []PortMapping {
	var out []PortMapping
	for id, s := range st.Sandboxes {
		if id != skip {
			out = append(out, s.Ports...)
		}
	}
	return out
}

// Store persists State in two JSON files, each replaced atomically on
// every change that touches it, so a crash leaves the old or the new
// content of each, never a mix:
//
//   - the durable file (under the data root, fsynced) holds what must
//     survive a machine crash: the networks and the sandboxes that cannot
//     be derived again from their container (see Sandbox.Derivable);
//   - the runtime file (under the exec root, replaced without an fsync,
//     see atomicfile.Linked) holds the whole state, addresses, veths,
//     namespaces and published ports of running sandboxes included. A
//     tugd killed at any point leaves it complete for the next one (the
//     kernel has the new file, fsync or not); a machine crash may lose it,
//     and with it only what the crash ended anyway: running containers'
//     network set-ups and round-robin positions.
//
// The start and the end of a container on the default bridge change only
// the runtime file: no fsync on their path.
type Store struct {
	path, runtimePath string
	runtimeFile       *atomicfile.Linked
	mu                sync.Mutex
	st                *State
	durable, runtime  []byte // what the files hold (compact JSON)
}

// OpenStore loads the state from the durable file at path and the runtime
// file at runtimePath (either may be missing: an empty state, or only
// what survived a reboot). With runtimePath "" every change goes to the
// durable file.
func OpenStore(path, runtimePath string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	st, err := readState(path)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, runtimePath: runtimePath}
	if runtimePath != "" {
		if err := os.MkdirAll(filepath.Dir(runtimePath), 0o700); err != nil {
			return nil, err
		}
		rt, err := readState(runtimePath)
		if err != nil {
			// Written without an fsync: a machine crash may have left
			// anything. What it held ended with the machine.
			rt = &State{}
		}
		st = merge(st, rt)
	}
	normalize(st)
	s.st = st
	s.durable, _ = json.Marshal(s.durableState(st))
	s.runtime, _ = json.Marshal(st)
	if runtimePath != "" {
		// Whole from the start (after a reboot it was missing, or torn).
		s.runtimeFile = atomicfile.NewLinked(runtimePath)
		if err := s.writeRuntime(s.runtime); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func readState(path string) (*State, error) {
	st := &State{}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, st); err != nil {
			return nil, fmt.Errorf("network state %s: %w", path, err)
		}
	}
	normalize(st)
	return st, nil
}

// merge combines the durable state d with the runtime state rt, written
// after it on every change: the networks are d's (with rt's round-robin
// positions), the sandboxes rt's, plus those of d that rt lacks (after a
// reboot: the runtime file is gone, the configured sandboxes are not).
// A sandbox rt holds and d does not was derivable, or was forgotten by an
// update that a crash cut between the two writes: the next Reconcile
// drops it if its container is gone.
func merge(d, rt *State) *State {
	normalize(d)
	normalize(rt)
	for id, n := range d.Networks {
		if r := rt.Networks[id]; r != nil {
			n.LastIP, n.LastIP6 = r.LastIP, r.LastIP6
		}
	}
	for id, s := range d.Sandboxes {
		if rt.Sandboxes[id] == nil {
			rt.Sandboxes[id] = s
		}
	}
	d.Sandboxes = rt.Sandboxes
	return d
}

func normalize(st *State) {
	if st.Networks == nil {
		st.Networks = map[string]*Network{}
	}
	if st.Sandboxes == nil {
		st.Sandboxes = map[string]*Sandbox{}
	}
}

// durableState is the part of st the durable file holds: st itself when
// there is no runtime file, else st without what a reboot voids anyway
// (round-robin positions, addresses, veths, namespaces, published ports)
// and without the sandboxes that are derivable (Sandbox.Derivable). It
// returns a copy; st is not changed.
func (s *Store) durableState(st *State) *State {
	if s.runtimePath == "" {
		return st
	}
	out := &State{Networks: map[string]*Network{}, Sandboxes: map[string]*Sandbox{}}
	for id, n := range st.Networks {
		cp := *n
		cp.LastIP, cp.LastIP6 = netip.Addr{}, netip.Addr{}
		out.Networks[id] = &cp
	}
	for id, sb := range st.Sandboxes {
		if sb.Derivable(st) {
			continue
		}
		cp := *sb
		cp.NetNS, cp.Ports = "", nil
		cp.Endpoints = nil
		for _, e := range sb.Endpoints {
			ce := *e
			ce.ID, ce.IP, ce.IP6, ce.MAC, ce.HostVeth, ce.IfName = "", netip.Addr{}, netip.Addr{}, "", "", ""
			cp.Endpoints = append(cp.Endpoints, &ce)
		}
		out.Sandboxes[id] = &cp
	}
	return out
}

// View calls fn with the state; fn must not modify it or keep it.
func (s *Store) View(fn func(*State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.st)
}

// Update calls fn on a copy of the state and, if fn succeeds, persists the
// copy and makes it current. On any error the state is unchanged.
// A file whose content the update does not change is not written: no
// fsync on the path of an update that touches only the runtime file.
func (s *Store) Update(fn func(*State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := &State{}
	if err := json.Unmarshal(s.runtime, cp); err != nil {
		return err
	}
	normalize(cp)
	if err := fn(cp); err != nil {
		return err
	}
	runtime, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	if bytes.Equal(runtime, s.runtime) {
		return nil
	}
	durable, err := json.Marshal(s.durableState(cp))
	if err != nil {
		return err
	}
	// The durable file first: a crash between the two writes leaves a
	// runtime file one change behind, which merge tolerates.
	if !bytes.Equal(durable, s.durable) {
		if err := writeState(s.path, s.durableState(cp)); err != nil {
			return err
		}
		s.durable = durable
	}
	if s.runtimePath != "" {
		if err := s.writeRuntime(runtime); err != nil {
			return err
		}
	}
	s.runtime, s.st = runtime, cp
	return nil
}

// writeState replaces the durable file at path with st, indented for
// people reading it, durably (fsync of the file and its directory).
func writeState(path string, st *State) error {
	b, err := json.MarshalIndent(st, "", "\t")
	if err != nil {
		return err
	}
	defer trace.Span("network/state-write")()
	return atomicfile.Write(path, b, 0o600)
}

// writeRuntime replaces the runtime file with b (compact JSON), without
// an fsync, nor the writeback ext4 starts for a file renamed over another
// (atomicfile.Linked).
func (s *Store) writeRuntime(b []byte) error {
	defer trace.Span("network/state-replace")()
	return s.runtimeFile.Write(b, 0o600)
}

// Snapshot returns a deep copy of the state.
func (s *Store) Snapshot() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := &State{}
	_ = json.Unmarshal(s.runtime, cp)
	normalize(cp)
	return cp
}
