package container

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/server"
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
func inspectForVersion(ctx context.Context, resp *container.InspectResponse) (any, error) {
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if cfg, ok := doc["Config"].(map[string]any); ok {
		if _, ok := cfg["OnBuild"]; !ok {
			cfg["OnBuild"] = nil // omitted when empty from 1.52
		}
	}
	if hc, ok := doc["HostConfig"].(map[string]any); ok && server.VersionBefore(ctx, "1.42") {
		for _, k := range []string{"KernelMemory", "KernelMemoryTCP"} {
			if _, ok := hc[k]; !ok {
				hc[k] = 0 // omitted when unset from 1.42
			}
		}
	}
	ns, _ := doc["NetworkSettings"].(map[string]any)
	if ns == nil {
		return doc, nil
	}
	if server.VersionBefore(ctx, "1.45") {
		addShortIDAlias(ns, resp.ID)
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

// addShortIDAlias gives API versions before 1.45 the container's short ID
// among the aliases of each user-defined network, where Docker put it (it
// moved to DNSNames in 1.45).
func addShortIDAlias(ns map[string]any, id string) {
	nets, _ := ns["Networks"].(map[string]any)
	short := id[:min(12, len(id))]
	for name, v := range nets {
		ep, _ := v.(map[string]any)
		if ep == nil || name == "bridge" || name == "host" || name == "none" {
			continue
		}
		var aliases []any
		if a, ok := ep["Aliases"].([]any); ok {
			aliases = a
		}
		if !slices.Contains(aliases, any(short)) {
			ep["Aliases"] = append(aliases, short)
		}
	}
}
