package controller

import (
	"errors"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
)

func TestAddSandboxPutsTheNetworkModeFirst(t *testing.T) {
	st := stateWith(
		&tugnet.Network{ID: "d", Name: tugnet.DefaultNetwork},
		&tugnet.Network{ID: "a", Name: "alpha"},
		&tugnet.Network{ID: "b", Name: "beta"},
	)
	ctr := func(mode string) *container.Container {
		return &container.Container{ID: "c1", Name: "web", Config: &apicontainer.Config{Hostname: "h"},
			HostConfig: &apicontainer.HostConfig{NetworkMode: apicontainer.NetworkMode(mode)}}
	}
	tests := []struct {
		name     string
		mode     string
		cfgs     map[string]*network.EndpointSettings
		wantNets []string
		wantErr  error
	}{
		{"mode only", "bridge", nil, []string{"d"}, nil},
		{"mode then the others sorted", "beta", map[string]*network.EndpointSettings{"bridge": {}, "alpha": {}}, []string{"b", "a", "d"}, nil},
		{"the CLI's \"default\" is the default network", "alpha", map[string]*network.EndpointSettings{"default": {}}, []string{"a", "d"}, nil},
		{"settings of the mode apply to it", "alpha", map[string]*network.EndpointSettings{"alpha": {Aliases: []string{"db"}}}, []string{"a"}, nil},
		{"an unknown network", "bridge", map[string]*network.EndpointSettings{"nope": {}}, nil, errdefs.ErrNotFound},
		{"invalid settings", "bridge", map[string]*network.EndpointSettings{"bridge": {Aliases: []string{"db"}}}, nil, errdefs.ErrInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st.Sandboxes = map[string]*tugnet.Sandbox{}
			err := addSandbox(st, ctr(tt.mode), &network.NetworkingConfig{EndpointsConfig: tt.cfgs})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || st.Sandboxes["c1"] != nil {
					t.Fatalf("addSandbox() = %v, want %v and no sandbox", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("addSandbox() = %v, want nil", err)
			}
			s := st.Sandboxes["c1"]
			var got []string
			for _, e := range s.Endpoints {
				got = append(got, e.NetworkID)
				if e.Active() {
					t.Fatalf("addSandbox() gave endpoint %s an address at create", e.NetworkID)
				}
			}
			if len(got) != len(tt.wantNets) {
				t.Fatalf("addSandbox() endpoints on %v, want %v", got, tt.wantNets)
			}
			for i := range got {
				if got[i] != tt.wantNets[i] {
					t.Fatalf("addSandbox() endpoints on %v, want %v", got, tt.wantNets)
				}
			}
			if s.Name != "web" || s.Hostname != "h" {
				t.Fatalf("sandbox name %q hostname %q, want web, h", s.Name, s.Hostname)
			}
		})
	}
}
