package controller

import (
	"net/netip"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestValidateSharedNetworkRefusesWhatTheJoinedContainerGives(t *testing.T) {
	joined := apicontainer.NetworkMode("container:web")
	for _, tc := range []struct {
		name    string
		cfg     apicontainer.Config
		hc      apicontainer.HostConfig
		wantErr string
	}{
		{"plain join", apicontainer.Config{}, apicontainer.HostConfig{NetworkMode: joined}, ""},
		{"no container named", apicontainer.Config{}, apicontainer.HostConfig{NetworkMode: "container:"},
			"Invalid network mode: invalid container format container:<name|id>"},
		{"hostname", apicontainer.Config{Hostname: "h"}, apicontainer.HostConfig{NetworkMode: joined},
			"conflicting options: hostname and the network mode"},
		{"dns", apicontainer.Config{}, apicontainer.HostConfig{NetworkMode: joined, DNS: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
			"conflicting options: dns and the network mode"},
		{"add-host", apicontainer.Config{}, apicontainer.HostConfig{NetworkMode: joined, ExtraHosts: []string{"a:127.0.0.1"}},
			"conflicting options: custom host-to-IP mapping and the network mode"},
		{"expose", apicontainer.Config{ExposedPorts: network.PortSet{network.MustParsePort("80/tcp"): {}}}, apicontainer.HostConfig{NetworkMode: joined},
			"conflicting options: port exposing and the container type network mode"},
		{"hostname on a bridge", apicontainer.Config{Hostname: "h"}, apicontainer.HostConfig{NetworkMode: "bridge", DNS: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateSharedNetwork(&tc.cfg, &tc.hc)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("ValidateSharedNetwork() = %q, want %q", got, tc.wantErr)
			}
		})
	}
}
