package container

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/api/server"
)

func TestLegacyMacAddressMovesToTheEndpoint(t *testing.T) {
	const mac = "02:42:ac:11:00:99"
	for _, tc := range []struct {
		name, version, mode string
		eps                 map[string]*network.EndpointSettings
		wantNet, wantErr    string
		wantWarning         bool
	}{
		{name: "1.41 default network", version: "1.41", mode: "", wantNet: "bridge"},
		{name: "1.41 user network", version: "1.41", mode: "app", wantNet: "app"},
		{name: "1.41 host network", version: "1.41", mode: "host", wantErr: "conflicting options: mac-address and the network mode"},
		{name: "1.47 warns", version: "1.47", mode: "app", wantNet: "app", wantWarning: true},
		{name: "1.47 other network", version: "1.47", mode: "app", eps: map[string]*network.EndpointSettings{"other": {}},
			wantErr: "HostConfig.NetworkMode must match"},
		{name: "1.47 mismatch", version: "1.47", mode: "app",
			eps:     map[string]*network.EndpointSettings{"app": {MacAddress: network.HardwareAddr{2, 0, 0, 0, 0, 1}}},
			wantErr: "must match the endpoint-specific MAC address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := server.WithAPIVersion(context.Background(), tc.version)
			req := &container.CreateRequest{
				Config:           &container.Config{},
				HostConfig:       &container.HostConfig{NetworkMode: container.NetworkMode(tc.mode)},
				NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: tc.eps},
			}
			warnings, err := macAddress(ctx, mac, req)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("macAddress() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ep := req.NetworkingConfig.EndpointsConfig[tc.wantNet]
			if ep == nil || ep.MacAddress.String() != mac {
				t.Errorf("endpoint %s = %+v, want MacAddress %s", tc.wantNet, ep, mac)
			}
			if (len(warnings) > 0) != tc.wantWarning {
				t.Errorf("warnings = %q, want a deprecation warning: %v", warnings, tc.wantWarning)
			}
		})
	}
}

func TestLegacyCreateFieldsAreRefusedByName(t *testing.T) {
	for body, want := range map[string]string{
		`{"HostConfig":{"DiskQuota":1024}}`:             "HostConfig.DiskQuota",
		`{"HostConfig":{"Capabilities":["CAP_CHOWN"]}}`: "HostConfig.Capabilities",
	} {
		req := &container.CreateRequest{Config: &container.Config{}, HostConfig: &container.HostConfig{}}
		_, err := readLegacyCreate([]byte(body)).apply(context.Background(), req)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("apply(%s) error = %v, want one naming %s", body, err, want)
		}
	}
}

// The body of a create request is the Config itself: its old MacAddress is
// a top-level key.
func TestReadLegacyCreateFindsTheTopLevelMacAddress(t *testing.T) {
	if got := readLegacyCreate([]byte(`{"Image":"busybox","MacAddress":"02:42:ac:11:00:99"}`)).MacAddress; got != "02:42:ac:11:00:99" {
		t.Errorf("MacAddress = %q, want 02:42:ac:11:00:99", got)
	}
}
