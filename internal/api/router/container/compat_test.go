package container

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/api/server"
)

func TestInspectForVersion(t *testing.T) {
	resp := &container.InspectResponse{
		ID: "abc",
		NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{
			"bridge": {IPAddress: netip.MustParseAddr("172.30.0.2"), IPPrefixLen: 24, Gateway: netip.MustParseAddr("172.30.0.1")},
		}},
	}
	doc, err := inspectForVersion(server.WithAPIVersion(context.Background(), "1.51"), resp)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	var got struct {
		ID              string `json:"Id"`
		NetworkSettings struct {
			IPAddress, Gateway, MacAddress string
			IPPrefixLen                    int
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "abc" || got.NetworkSettings.IPAddress != "172.30.0.2" || got.NetworkSettings.Gateway != "172.30.0.1" || got.NetworkSettings.IPPrefixLen != 24 {
		t.Errorf("inspectForVersion() = %s", b)
	}

	// Not on the default bridge: the fields are there, empty.
	resp.NetworkSettings.Networks = map[string]*network.EndpointSettings{"mynet": {IPAddress: netip.MustParseAddr("10.1.0.2")}}
	doc, _ = inspectForVersion(server.WithAPIVersion(context.Background(), "1.51"), resp)
	b, _ = json.Marshal(doc)
	var raw map[string]map[string]any
	_ = json.Unmarshal(b, &raw)
	if v, ok := raw["NetworkSettings"]["IPAddress"]; !ok || v != "" {
		t.Errorf("IPAddress on a user network = %v (present %v), want empty string", v, ok)
	}
}

// Before 1.45 the short ID is among the aliases of a user-defined network;
// before 1.42 the kernel memory fields are there, 0; before 1.52
// Config.OnBuild is there, null.
func TestInspectForOldVersionsHasTheirFields(t *testing.T) {
	resp := &container.InspectResponse{
		ID:         "0123456789abcdef",
		Config:     &container.Config{},
		HostConfig: &container.HostConfig{},
		NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{
			"bridge": {}, "mynet": {Aliases: []string{"web"}},
		}},
	}
	doc, err := inspectForVersion(server.WithAPIVersion(context.Background(), "1.41"), resp)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	var got struct {
		Config struct {
			OnBuild *[]string
		}
		HostConfig struct {
			KernelMemory *int64
		}
		NetworkSettings struct {
			Networks map[string]struct{ Aliases []string }
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var raw map[string]map[string]any
	_ = json.Unmarshal(b, &raw)
	if _, ok := raw["Config"]["OnBuild"]; !ok {
		t.Errorf("Config.OnBuild missing at 1.41: %s", b)
	}
	if got.HostConfig.KernelMemory == nil || *got.HostConfig.KernelMemory != 0 {
		t.Errorf("HostConfig.KernelMemory at 1.41 = %v, want 0", got.HostConfig.KernelMemory)
	}
	if a := got.NetworkSettings.Networks["mynet"].Aliases; len(a) != 2 || a[0] != "web" || a[1] != "0123456789ab" {
		t.Errorf("mynet aliases at 1.41 = %v, want [web 0123456789ab]", a)
	}
	if a := got.NetworkSettings.Networks["bridge"].Aliases; len(a) != 0 {
		t.Errorf("bridge aliases at 1.41 = %v, want none", a)
	}
}
