package container

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestInspectForVersion(t *testing.T) {
	resp := &container.InspectResponse{
		ID: "abc",
		NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{
			"bridge": {IPAddress: netip.MustParseAddr("172.30.0.2"), IPPrefixLen: 24, Gateway: netip.MustParseAddr("172.30.0.1")},
		}},
	}
	doc, err := inspectForVersion(resp)
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
	doc, _ = inspectForVersion(resp)
	b, _ = json.Marshal(doc)
	var raw map[string]map[string]any
	_ = json.Unmarshal(b, &raw)
	if v, ok := raw["NetworkSettings"]["IPAddress"]; !ok || v != "" {
		t.Errorf("IPAddress on a user network = %v (present %v), want empty string", v, ok)
	}
}
