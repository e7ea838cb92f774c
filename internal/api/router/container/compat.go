package container

import (
	"encoding/json"
	"net"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/errdefs"
)

// containerWideMAC moves the Config.MacAddress of clients before API 1.44
// (docker 20.10's --mac-address) to the endpoint of the container's
// network mode, where API 1.44 put it, as Docker does.
func containerWideMAC(req *container.CreateRequest, mac string) error {
	if mac == "" {
		return nil
	}
	hw, err := net.ParseMAC(mac)
	if err != nil {
		return errdefs.InvalidParameter("invalid MAC address %s", mac)
	}
	mode := req.HostConfig.NetworkMode
	name := string(mode)
	switch {
	case name == "" || name == "default":
		name = "bridge"
	case mode.IsHost() || mode.IsNone() || mode.IsContainer():
		return errdefs.InvalidParameter("conflicting options: mac-address and the network mode")
	}
	if req.NetworkingConfig == nil {
		req.NetworkingConfig = &network.NetworkingConfig{}
	}
	if req.NetworkingConfig.EndpointsConfig == nil {
		req.NetworkingConfig.EndpointsConfig = map[string]*network.EndpointSettings{}
	}
	ep := req.NetworkingConfig.EndpointsConfig[name]
	if ep == nil {
		ep = &network.EndpointSettings{}
		req.NetworkingConfig.EndpointsConfig[name] = ep
	}
	if len(ep.MacAddress) > 0 && net.HardwareAddr(ep.MacAddress).String() != hw.String() {
		return errdefs.InvalidParameter("the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty")
	}
	ep.MacAddress = network.HardwareAddr(hw)
	return nil
}

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
