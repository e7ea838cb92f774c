package controller

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
)

// userNet is a user network on 10.9.0.0/24 with its gateway at .1.
func userNet() *tugnet.Network {
	return &tugnet.Network{ID: "n1", Name: "web", Driver: "bridge", Bridge: "tug-n1",
		Subnet: netip.MustParsePrefix("10.9.0.0/24"), Gateway: netip.MustParseAddr("10.9.0.1"), UserSubnet: true}
}

func stateWith(nets ...*tugnet.Network) *tugnet.State {
	st := &tugnet.State{Networks: map[string]*tugnet.Network{}, Sandboxes: map[string]*tugnet.Sandbox{}}
	for _, n := range nets {
		st.Networks[n.ID] = n
	}
	return st
}

func TestAllocateGivesNextFreeAddress(t *testing.T) {
	tests := []struct {
		name   string
		lastIP string   // the network's last handed-out address
		active []string // addresses of other running endpoints
		want   string
	}{
		{"first after the gateway", "", nil, "10.9.0.2"},
		{"skips active endpoints", "", []string{"10.9.0.2", "10.9.0.3"}, "10.9.0.4"},
		{"round-robin after the last one", "10.9.0.7", nil, "10.9.0.8"},
		{"wraps past the broadcast address, skipping the gateway", "10.9.0.254", nil, "10.9.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nw := userNet()
			if tt.lastIP != "" {
				nw.LastIP = netip.MustParseAddr(tt.lastIP)
			}
			st := stateWith(nw)
			for i, a := range tt.active {
				id := string(rune('a' + i))
				st.Sandboxes[id] = &tugnet.Sandbox{ContainerID: id, Endpoints: []*tugnet.Endpoint{{NetworkID: nw.ID, IP: netip.MustParseAddr(a)}}}
			}
			e := &tugnet.Endpoint{NetworkID: nw.ID}
			s := &tugnet.Sandbox{ContainerID: "me", Endpoints: []*tugnet.Endpoint{e}}
			if err := allocate(st, nw, e, s); err != nil {
				t.Fatalf("allocate() = %v, want nil", err)
			}
			if e.IP.String() != tt.want {
				t.Fatalf("allocate() gave %s, want %s", e.IP, tt.want)
			}
			if nw.LastIP != e.IP {
				t.Fatalf("network LastIP = %s, want %s", nw.LastIP, e.IP)
			}
			if want := tugnet.MACFromIP(e.IP).String(); e.MAC != want {
				t.Fatalf("MAC = %s, want %s", e.MAC, want)
			}
			if len(e.ID) != 64 || e.HostVeth != "tugv"+e.ID[:8] {
				t.Fatalf("endpoint ID %q, host veth %q: want a 64-hex ID and tugv+its first 8", e.ID, e.HostVeth)
			}
		})
	}
}

func TestAllocateGivesRequestedAddressUnlessTaken(t *testing.T) {
	nw := userNet()
	st := stateWith(nw)
	st.Sandboxes["other"] = &tugnet.Sandbox{ContainerID: "other", Endpoints: []*tugnet.Endpoint{{NetworkID: nw.ID, IP: netip.MustParseAddr("10.9.0.50")}}}

	e := &tugnet.Endpoint{NetworkID: nw.ID, RequestedIP: netip.MustParseAddr("10.9.0.60")}
	if err := allocate(st, nw, e, &tugnet.Sandbox{Endpoints: []*tugnet.Endpoint{e}}); err != nil || e.IP != e.RequestedIP {
		t.Fatalf("allocate(free requested IP) = %v, IP %s; want nil, %s", err, e.IP, e.RequestedIP)
	}
	if nw.LastIP.IsValid() {
		t.Fatalf("LastIP = %s after a requested address, want it untouched", nw.LastIP)
	}

	taken := &tugnet.Endpoint{NetworkID: nw.ID, RequestedIP: netip.MustParseAddr("10.9.0.50")}
	err := allocate(st, nw, taken, &tugnet.Sandbox{Endpoints: []*tugnet.Endpoint{taken}})
	if !errors.Is(err, errdefs.ErrConflict) || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("allocate(taken requested IP) = %v, want a conflict \"Address already in use\"", err)
	}
}

func TestAllocateNamesInterfacesEthN(t *testing.T) {
	active := func(ifName string) *tugnet.Endpoint {
		return &tugnet.Endpoint{NetworkID: "x", IP: netip.MustParseAddr("192.0.2.9"), IfName: ifName}
	}
	tests := []struct {
		name   string
		others []*tugnet.Endpoint
		want   string
	}{
		{"first endpoint", nil, "eth0"},
		{"after eth0", []*tugnet.Endpoint{active("eth0")}, "eth1"},
		{"fills a gap", []*tugnet.Endpoint{active("eth0"), active("eth2")}, "eth1"},
		{"inactive endpoints hold no name", []*tugnet.Endpoint{{NetworkID: "x", IfName: "eth0"}}, "eth0"},
	}
	for _, tt := range tests {
		nw := userNet()
		st := stateWith(nw)
		e := &tugnet.Endpoint{NetworkID: nw.ID}
		s := &tugnet.Sandbox{Endpoints: append(tt.others, e)}
		if err := allocate(st, nw, e, s); err != nil {
			t.Fatalf("%s: allocate() = %v, want nil", tt.name, err)
		}
		if e.IfName != tt.want {
			t.Errorf("%s: allocate() named the interface %s, want %s", tt.name, e.IfName, tt.want)
		}
	}
}

func TestAllocateSandboxStartsAfresh(t *testing.T) {
	nw := userNet()
	st := stateWith(nw)
	old := &tugnet.Endpoint{NetworkID: nw.ID, IP: netip.MustParseAddr("10.9.0.9"), IfName: "eth3"}
	s := &tugnet.Sandbox{ContainerID: "me", Endpoints: []*tugnet.Endpoint{old}}
	nets, err := allocateSandbox(st, s, "/run/tug/netns/me")
	if err != nil {
		t.Fatalf("allocateSandbox() = %v, want nil", err)
	}
	if s.NetNS != "/run/tug/netns/me" || old.IfName != "eth0" || old.IP.String() != "10.9.0.2" {
		t.Fatalf("allocateSandbox() left netns %q, %s %s; want /run/tug/netns/me, eth0 10.9.0.2", s.NetNS, old.IfName, old.IP)
	}
	if got := nets[nw.ID]; got.Name != "web" {
		t.Fatalf("allocateSandbox() networks = %v, want web by ID", nets)
	}
	s.Endpoints = append(s.Endpoints, &tugnet.Endpoint{NetworkID: "gone"})
	if _, err := allocateSandbox(st, s, "/x"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("allocateSandbox(endpoint on a removed network) = %v, want not found", err)
	}
}

func TestAllocateGivesTheRequestedMAC(t *testing.T) {
	nw := userNet()
	st := stateWith(nw)
	e := &tugnet.Endpoint{NetworkID: nw.ID, RequestedMAC: "02:42:de:ad:be:ef"}
	if err := allocate(st, nw, e, &tugnet.Sandbox{Endpoints: []*tugnet.Endpoint{e}}); err != nil || e.MAC != "02:42:de:ad:be:ef" {
		t.Fatalf("allocate() = %v, MAC %s; want nil, 02:42:de:ad:be:ef", err, e.MAC)
	}
}
