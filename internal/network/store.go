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

// Store persists State in one JSON file, replaced atomically on every
// change, so a crash leaves the old or the new state, never a mix.
type Store struct {
	path string
	mu   sync.Mutex
	st   *State
}

// OpenStore loads the state at path (empty if the file does not exist).
func OpenStore(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
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
	return &Store{path: path, st: st}, nil
}

func normalize(st *State) {
	if st.Networks == nil {
		st.Networks = map[string]*Network{}
	}
	if st.Sandboxes == nil {
		st.Sandboxes = map[string]*Sandbox{}
	}
}

// View calls fn with the state; fn must not modify it or keep it.
func (s *Store) View(fn func(*State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.st)
}

// Update calls fn on a copy of the state and, if fn succeeds, persists the
// copy and makes it current. On any error the state is unchanged.
func (s *Store) Update(fn func(*State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(s.st)
	if err != nil {
		return err
	}
	cp := &State{}
	if err := json.Unmarshal(b, cp); err != nil {
		return err
	}
	normalize(cp)
	if err := fn(cp); err != nil {
		return err
	}
	// An update that changes nothing (the release of a sandbox that has
	// no network, say) is not written: no fsync on that path.
	if after, err := json.Marshal(cp); err == nil && bytes.Equal(after, b) {
		return nil
	}
	nb, err := json.MarshalIndent(cp, "", "\t")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.path, nb, 0o600); err != nil {
		return err
	}
	s.st = cp
	return nil
}

// Snapshot returns a deep copy of the state.
func (s *Store) Snapshot() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.st)
	cp := &State{}
	_ = json.Unmarshal(b, cp)
	normalize(cp)
	return cp
}
