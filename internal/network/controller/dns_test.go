package controller

import (
	"net/netip"
	"slices"
	"testing"

	tugnet "github.com/tug-project/tug/internal/network"
)

func TestResolverAnswersNamesOnSharedUserNetworks(t *testing.T) {
	ip := netip.MustParseAddr
	const otherID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	st := stateWith(
		&tugnet.Network{ID: "d", Name: tugnet.DefaultNetwork, Bridge: "tug0"},
		&tugnet.Network{ID: "u", Name: "web", Bridge: "tug-u"},
		&tugnet.Network{ID: "v", Name: "back", Bridge: "tug-v"},
	)
	st.Sandboxes["me"] = &tugnet.Sandbox{ContainerID: "me", Name: "me", Endpoints: []*tugnet.Endpoint{
		{NetworkID: "d", IP: ip("172.30.0.2")}, {NetworkID: "u", IP: ip("10.1.0.2"), Links: []string{"db:data"}}}}
	st.Sandboxes[otherID] = &tugnet.Sandbox{ContainerID: otherID, Name: "db", Endpoints: []*tugnet.Endpoint{
		{NetworkID: "d", IP: ip("172.30.0.3")}, {NetworkID: "u", IP: ip("10.1.0.3"), Aliases: []string{"Primary"}}}}
	st.Sandboxes["far"] = &tugnet.Sandbox{ContainerID: "far", Name: "far", Endpoints: []*tugnet.Endpoint{{NetworkID: "v", IP: ip("10.2.0.2")}}}
	st.Sandboxes["stopped"] = &tugnet.Sandbox{ContainerID: "stopped", Name: "stopped", Endpoints: []*tugnet.Endpoint{{NetworkID: "u"}}}
	tests := []struct {
		name string
		want []netip.Addr
	}{
		{"db", []netip.Addr{ip("10.1.0.3")}}, // not its default-bridge address
		{"DB", []netip.Addr{ip("10.1.0.3")}}, // names are case-insensitive
		{"primary", []netip.Addr{ip("10.1.0.3")}},
		{otherID[:12], []netip.Addr{ip("10.1.0.3")}},
		{"far", nil},     // no shared network
		{"stopped", nil}, // no address
		{"nobody", nil},
		{"data", []netip.Addr{ip("10.1.0.3")}}, // me's link alias
	}
	for _, tt := range tests {
		if got := addrsOf(st, "me", tt.name); !slices.Equal(got, tt.want) {
			t.Errorf("addrsOf(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestLinkAliasesResolveForTheirSandboxOnly(t *testing.T) {
	ip := netip.MustParseAddr
	st := stateWith(&tugnet.Network{ID: "u", Name: "web", Bridge: "tug-u"})
	st.Sandboxes["me"] = &tugnet.Sandbox{ContainerID: "me", Name: "me", Endpoints: []*tugnet.Endpoint{{NetworkID: "u", IP: ip("10.1.0.2"), Links: []string{"db:data"}}}}
	st.Sandboxes["db"] = &tugnet.Sandbox{ContainerID: "db", Name: "db", Endpoints: []*tugnet.Endpoint{{NetworkID: "u", IP: ip("10.1.0.3")}}}
	st.Sandboxes["other"] = &tugnet.Sandbox{ContainerID: "other", Name: "other", Endpoints: []*tugnet.Endpoint{{NetworkID: "u", IP: ip("10.1.0.4")}}}
	if got := addrsOf(st, "other", "data"); got != nil {
		t.Errorf("another sandbox resolved the link alias: %v", got)
	}
}
