package container

import (
	"encoding/json"

	"github.com/moby/moby/api/types/container"
)

// defaultNetworkFields are the top-level NetworkSettings fields API
// versions before 1.52 carry, copied from the container's endpoint on the
// default "bridge" network (empty on other networks, as in Docker).
var defaultNetworkFields = []string{
	"EndpointID", "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen",
	"IPAddress", "IPPrefixLen", "IPv6Gateway", "MacAddress",
}

// inspectForVersion returns the inspect document in the shape clients of
// API versions before 1.52 expect: with the deprecated top-level network
// fields (`docker inspect -f '{{.NetworkSettings.IPAddress}}'` is common
// in scripts). The moby 1.56 wire types no longer have them.
func inspectForVersion(resp *container.InspectResponse) (any, error) {
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	ns, _ := doc["NetworkSettings"].(map[string]any)
	if ns == nil {
		return doc, nil
	}
	var bridge map[string]any
	if nets, ok := ns["Networks"].(map[string]any); ok {
		bridge, _ = nets["bridge"].(map[string]any)
	}
	for _, k := range defaultNetworkFields {
		if _, ok := ns[k]; ok {
			continue
		}
		switch v := bridge[k]; {
		case v != nil:
			ns[k] = v
		case k == "GlobalIPv6PrefixLen" || k == "IPPrefixLen":
			ns[k] = 0
		default:
			ns[k] = ""
		}
	}
	for k, v := range map[string]any{
		"Bridge": "", "HairpinMode": false, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
		"SecondaryIPAddresses": nil, "SecondaryIPv6Addresses": nil,
	} {
		if _, ok := ns[k]; !ok {
			ns[k] = v
		}
	}
	return doc, nil
}
