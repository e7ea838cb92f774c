package controller

import (
	"testing"

	"github.com/moby/moby/api/types/network"
)

func TestNetworkRefPrefersNetworkIDForUserNetworks(t *testing.T) {
	id := &network.EndpointSettings{NetworkID: "0123456789ab"}
	tests := []struct {
		name string
		es   *network.EndpointSettings
		want string
	}{
		{"front", nil, "front"},
		{"front", &network.EndpointSettings{}, "front"},
		{"front", id, "0123456789ab"},
		{"bridge", id, "bridge"},
		{"default", id, "default"},
		{"host", id, "host"},
		{"none", id, "none"},
		{"container:web", id, "container:web"},
	}
	for _, tt := range tests {
		if got := networkRef(tt.name, tt.es); got != tt.want {
			t.Errorf("networkRef(%q, %+v) = %q, want %q", tt.name, tt.es, got, tt.want)
		}
	}
}
