package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
)

// The network router's backend: GET/POST/DELETE /networks.

// NetworkList returns the networks matching filters (name, id, driver,
// label, type).
func (d *Daemon) NetworkList(ctx context.Context, filters map[string][]string) ([]network.Summary, error) {
	for k := range filters {
		switch k {
		case "name", "id", "driver", "label", "type", "scope", "dangling":
		default:
			return nil, errdefs.InvalidParameter("invalid filter '%s'", k)
		}
	}
	st := d.net.store.Snapshot()
	out := []network.Summary{}
	for _, n := range sortedNetworks(st) {
		if matchNetwork(st, n, filters) {
			out = append(out, network.Summary{Network: apiNetwork(n)})
		}
	}
	return out, nil
}

func sortedNetworks(st *tugnet.State) []*tugnet.Network {
	nets := slices.Collect(maps.Values(st.Networks))
	slices.SortFunc(nets, func(a, b *tugnet.Network) int { return strings.Compare(a.Name, b.Name) })
	return nets
}

func matchNetwork(st *tugnet.State, n *tugnet.Network, f map[string][]string) bool {
	any := func(key string, ok func(v string) bool) bool {
		vs, set := f[key]
		if !set || len(vs) == 0 {
			return true
		}
		return slices.ContainsFunc(vs, ok)
	}
	return any("name", func(v string) bool { return strings.Contains(n.Name, v) }) &&
		any("id", func(v string) bool { return strings.HasPrefix(n.ID, v) }) &&
		any("driver", func(v string) bool { return n.Driver == v }) &&
		any("scope", func(v string) bool { return v == "local" }) &&
		any("type", func(v string) bool { return (v == "builtin") == predefined(n.Name) }) &&
		any("dangling", func(v string) bool {
			dangling := !predefined(n.Name) && len(activeOn(st, n.ID)) == 0
			return (v == "true" || v == "1") == dangling
		}) &&
		allLabels(n.Labels, f["label"])
}

func allLabels(labels map[string]string, want []string) bool {
	for _, w := range want {
		k, v, hasV := strings.Cut(w, "=")
		got, ok := labels[k]
		if !ok || hasV && got != v {
			return false
		}
	}
	return true
}

func predefined(name string) bool {
	return name == tugnet.DefaultNetwork || name == "host" || name == "none"
}

func apiNetwork(n *tugnet.Network) network.Network {
	out := network.Network{
		Name: n.Name, ID: n.ID, Created: n.Created, Scope: "local", Driver: n.Driver,
		EnableIPv4: n.Driver == "bridge", Internal: n.Internal,
		IPAM:    network.IPAM{Driver: "default", Options: map[string]string{}, Config: []network.IPAMConfig{}},
		Options: maps.Clone(n.Options), Labels: maps.Clone(n.Labels),
	}
	if n.Subnet.IsValid() {
		out.IPAM.Config = append(out.IPAM.Config, network.IPAMConfig{Subnet: n.Subnet, Gateway: n.Gateway})
	}
	if out.Options == nil {
		out.Options = map[string]string{}
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	return out
}

// NetworkInspect returns a network with its running containers.
func (d *Daemon) NetworkInspect(ctx context.Context, ref string) (network.Inspect, error) {
	st := d.net.store.Snapshot()
	n, err := st.Network(ref)
	if err != nil {
		return network.Inspect{}, err
	}
	out := network.Inspect{Network: apiNetwork(n), Containers: map[string]network.EndpointResource{}}
	for id, s := range st.Sandboxes {
		e := s.Endpoint(n.ID)
		if e == nil || !e.Active() {
			continue
		}
		mac, _ := parseMAC(e.MAC)
		out.Containers[id] = network.EndpointResource{Name: s.Name, EndpointID: e.ID, MacAddress: network.HardwareAddr(mac),
			IPv4Address: netip.PrefixFrom(e.IP, n.Subnet.Bits())}
	}
	return out, nil
}

// NetworkCreate creates a bridge network and its bridge.
func (d *Daemon) NetworkCreate(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error) {
	switch req.Driver {
	case "", "bridge":
	default:
		return network.CreateResponse{}, errdefs.NotFound("could not find plugin %s in v1 plugin registry: plugin not found", req.Driver)
	}
	if req.EnableIPv6 != nil && *req.EnableIPv6 {
		return network.CreateResponse{}, errdefs.InvalidParameter("IPv6 networks are not supported")
	}
	if predefined(req.Name) {
		return network.CreateResponse{}, errdefs.Forbidden("%s is a pre-defined network and cannot be created", req.Name)
	}
	routes, err := bridge.Routes()
	if err != nil {
		return network.CreateResponse{}, err
	}
	id := newID()
	var nw *tugnet.Network
	err = d.net.store.Update(func(st *tugnet.State) error {
		for _, n := range st.Networks {
			if n.Name == req.Name {
				return errdefs.Conflict("network with name %s already exists", req.Name)
			}
		}
		nw = &tugnet.Network{ID: id, Name: req.Name, Driver: "bridge", Created: time.Now().UTC(), Internal: req.Internal,
			Labels: maps.Clone(req.Labels), Options: maps.Clone(req.Options), Bridge: "tug-" + id[:11]}
		if b := req.Options["com.docker.network.bridge.name"]; b != "" {
			nw.Bridge = b
		}
		if req.IPAM != nil && len(req.IPAM.Config) > 0 {
			c := req.IPAM.Config[0]
			if c.Subnet.IsValid() {
				if !c.Subnet.Addr().Is4() {
					return errdefs.InvalidParameter("IPv6 subnets are not supported")
				}
				if tugnet.Overlaps(c.Subnet, st.Subnets()) {
					return errdefs.Forbidden("invalid pool request: Pool overlaps with other one on this address space")
				}
				nw.Subnet, nw.UserSubnet = c.Subnet.Masked(), true
			}
			if c.Gateway.IsValid() {
				if !nw.Subnet.IsValid() || !nw.Subnet.Contains(c.Gateway) {
					return errdefs.InvalidParameter("invalid gateway %s: not in the subnet", c.Gateway)
				}
				nw.Gateway = c.Gateway
			}
		}
		if !nw.Subnet.IsValid() {
			subnet, err := tugnet.PickSubnet(d.net.pools, append(routes, st.Subnets()...))
			if err != nil {
				return errdefs.Forbidden("%s", err.Error())
			}
			nw.Subnet = subnet
		}
		if !nw.Gateway.IsValid() {
			nw.Gateway = tugnet.FirstHost(nw.Subnet)
		}
		st.Networks[id] = nw
		return nil
	})
	if err != nil {
		return network.CreateResponse{}, err
	}
	if err := bridge.EnsureBridge(nw.Bridge, netip.PrefixFrom(nw.Gateway, nw.Subnet.Bits())); err != nil {
		d.dropNetwork(ctx, nw)
		return network.CreateResponse{}, fmt.Errorf("creating bridge: %w", err)
	}
	if err := d.applyRules(); err != nil {
		d.dropNetwork(ctx, nw)
		return network.CreateResponse{}, err
	}
	d.events.Publish(apievents.NetworkEventType, apievents.ActionCreate, id, map[string]string{"name": nw.Name, "type": "bridge"})
	return network.CreateResponse{ID: id}, nil
}

// dropNetwork removes nw from the state and the kernel.
func (d *Daemon) dropNetwork(ctx context.Context, nw *tugnet.Network) {
	if err := d.net.store.Update(func(st *tugnet.State) error {
		delete(st.Networks, nw.ID)
		return nil
	}); err != nil {
		slog.WarnContext(ctx, "removing network", "id", nw.ID, "err", err)
	}
	if err := bridge.DeleteBridge(nw.Bridge); err != nil {
		slog.WarnContext(ctx, "deleting bridge", "bridge", nw.Bridge, "err", err)
	}
	if err := d.applyRules(); err != nil {
		slog.WarnContext(ctx, "programming nftables", "err", err)
	}
}

// NetworkRemove removes a network no running container uses.
func (d *Daemon) NetworkRemove(ctx context.Context, ref string) error {
	var nw *tugnet.Network
	err := d.net.store.Update(func(st *tugnet.State) error {
		n, err := st.Network(ref)
		if err != nil {
			return err
		}
		if predefined(n.Name) {
			return errdefs.Forbidden("%s is a pre-defined network and cannot be removed", n.Name)
		}
		if active := activeOn(st, n.ID); len(active) > 0 {
			return errdefs.Forbidden("error while removing network: network %s has active endpoints (name:%q id:%q)", n.Name, active[0].Name, active[0].ContainerID[:12])
		}
		// Stopped containers forget the network, as in Docker.
		for _, s := range st.Sandboxes {
			s.Endpoints = slices.DeleteFunc(s.Endpoints, func(e *tugnet.Endpoint) bool { return e.NetworkID == n.ID })
		}
		delete(st.Networks, n.ID)
		nw = n
		return nil
	})
	if err != nil {
		return err
	}
	if err := bridge.DeleteBridge(nw.Bridge); err != nil {
		slog.WarnContext(ctx, "deleting bridge", "bridge", nw.Bridge, "err", err)
	}
	if err := d.applyRules(); err != nil {
		return err
	}
	d.events.Publish(apievents.NetworkEventType, apievents.ActionDestroy, nw.ID, map[string]string{"name": nw.Name, "type": "bridge"})
	return nil
}

// NetworkPrune removes the user networks no running container uses.
func (d *Daemon) NetworkPrune(ctx context.Context, filters map[string][]string) (network.PruneReport, error) {
	rep := network.PruneReport{NetworksDeleted: []string{}}
	st := d.net.store.Snapshot()
	for _, n := range sortedNetworks(st) {
		if predefined(n.Name) || len(activeOn(st, n.ID)) > 0 || !allLabels(n.Labels, filters["label"]) {
			continue
		}
		if err := d.NetworkRemove(ctx, n.ID); err != nil {
			continue
		}
		rep.NetworksDeleted = append(rep.NetworksDeleted, n.Name)
	}
	return rep, nil
}

// NetworkConnect attaches a container to a network, at once if it runs.
func (d *Daemon) NetworkConnect(ctx context.Context, ref, ctr string, cfg *network.EndpointSettings) error {
	c, err := d.lookup(ctr)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if !usesSandbox(c.HostConfig) {
		return errdefs.Forbidden("container sharing network namespace with another container or host cannot be connected to any other network")
	}
	running := c.State.Running
	var nw tugnet.Network
	var ep tugnet.Endpoint
	var nsPath string
	err = d.net.store.Update(func(st *tugnet.State) error {
		n, err := st.Network(ref)
		if err != nil {
			return err
		}
		if predefined(n.Name) && n.Name != tugnet.DefaultNetwork {
			return errdefs.Forbidden("container cannot be disconnected from host network or connected to host network")
		}
		s := st.Sandboxes[c.ID]
		if s == nil {
			s = &tugnet.Sandbox{ContainerID: c.ID, Name: c.Name, Hostname: c.Config.Hostname}
			st.Sandboxes[c.ID] = s
		}
		if s.Endpoint(n.ID) != nil {
			return errdefs.Forbidden("endpoint with name %s already exists in network %s", c.Name, n.Name)
		}
		e := &tugnet.Endpoint{NetworkID: n.ID}
		if cfg != nil {
			if err := endpointConfig(n, cfg, e); err != nil {
				return err
			}
		}
		s.Endpoints = append(s.Endpoints, e)
		if running && s.NetNS != "" {
			if err := allocate(st, n, e, s); err != nil {
				return err
			}
			nsPath = s.NetNS
		}
		nw, ep = *n, *e
		return nil
	})
	if err != nil {
		return err
	}
	if nsPath != "" {
		if err := plugEndpoint(nsPath, &nw, &ep, false); err != nil {
			_ = d.net.store.Update(func(st *tugnet.State) error {
				if s := st.Sandboxes[c.ID]; s != nil {
					s.Endpoints = slices.DeleteFunc(s.Endpoints, func(e *tugnet.Endpoint) bool { return e.NetworkID == nw.ID })
				}
				return nil
			})
			return err
		}
		if err := d.applyRules(); err != nil {
			return err
		}
		d.refreshDNS(c.ID)
	}
	d.events.Publish(apievents.NetworkEventType, apievents.ActionConnect, nw.ID, map[string]string{"container": c.ID, "name": nw.Name, "type": "bridge"})
	return nil
}

// NetworkDisconnect detaches a container from a network.
func (d *Daemon) NetworkDisconnect(ctx context.Context, ref, ctr string, force bool) error {
	c, err := d.lookup(ctr)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	var nw tugnet.Network
	var veth string
	err = d.net.store.Update(func(st *tugnet.State) error {
		n, err := st.Network(ref)
		if err != nil {
			return err
		}
		s := st.Sandboxes[c.ID]
		var e *tugnet.Endpoint
		if s != nil {
			e = s.Endpoint(n.ID)
		}
		if e == nil {
			if !usesSandbox(c.HostConfig) && (n.Name == "host" || n.Name == "none") {
				return errdefs.Forbidden("container cannot be disconnected from host network or connected to host network")
			}
			return errdefs.Forbidden("container %s is not connected to network %s", c.ID, n.Name)
		}
		veth = e.HostVeth
		s.Endpoints = slices.DeleteFunc(s.Endpoints, func(x *tugnet.Endpoint) bool { return x == e })
		nw = *n
		return nil
	})
	if err != nil {
		return err
	}
	if veth != "" {
		if err := bridge.DeleteLink(veth); err != nil {
			slog.WarnContext(ctx, "deleting veth", "veth", veth, "err", err)
		}
		if err := d.applyRules(); err != nil {
			return err
		}
		d.refreshDNS(c.ID)
	}
	d.events.Publish(apievents.NetworkEventType, apievents.ActionDisconnect, nw.ID, map[string]string{"container": c.ID, "name": nw.Name, "type": "bridge"})
	return nil
}
