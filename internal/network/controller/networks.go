package controller

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tug-project/tug/internal/filters"
	"github.com/tug-project/tug/internal/stringid"

	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
)

// List returns the networks matching filters (name, id, driver, label,
// type, scope, dangling).
func (n *Controller) List(ctx context.Context, f filters.Args) ([]network.Summary, error) {
	if err := f.Validate("name", "id", "driver", "label", "type", "scope", "dangling"); err != nil {
		return nil, err
	}
	st := n.store.Snapshot()
	out := []network.Summary{}
	for _, nw := range sortedNetworks(st) {
		if matchNetwork(st, nw, f) {
			out = append(out, network.Summary{Network: apiNetwork(nw)})
		}
	}
	return out, nil
}

func sortedNetworks(st *tugnet.State) []*tugnet.Network {
	nets := slices.Collect(maps.Values(st.Networks))
	slices.SortFunc(nets, func(a, b *tugnet.Network) int { return strings.Compare(a.Name, b.Name) })
	return nets
}

func matchNetwork(st *tugnet.State, n *tugnet.Network, f filters.Args) bool {
	return f.Match("name", func(v string) bool { return strings.Contains(n.Name, v) }) &&
		f.Match("id", func(v string) bool { return strings.HasPrefix(n.ID, v) }) &&
		f.ExactMatch("driver", n.Driver) &&
		f.ExactMatch("scope", "local") &&
		f.Match("type", func(v string) bool { return (v == "builtin") == predefined(n.Name) }) &&
		f.Match("dangling", func(v string) bool {
			dangling := !predefined(n.Name) && len(activeOn(st, n.ID)) == 0
			return (v == "true" || v == "1") == dangling
		}) &&
		f.MatchKVList("label", n.Labels)
}

func apiNetwork(n *tugnet.Network) network.Network {
	out := network.Network{
		Name: n.Name, ID: n.ID, Created: n.Created, Scope: "local", Driver: n.Driver,
		EnableIPv4: n.Driver == "bridge", EnableIPv6: n.IPv6(), Internal: n.Internal,
		IPAM:    network.IPAM{Driver: "default", Options: map[string]string{}, Config: []network.IPAMConfig{}},
		Options: maps.Clone(n.Options), Labels: maps.Clone(n.Labels),
	}
	if n.Subnet.IsValid() {
		out.IPAM.Config = append(out.IPAM.Config, network.IPAMConfig{Subnet: n.Subnet, Gateway: n.Gateway})
	}
	if n.IPv6() {
		out.IPAM.Config = append(out.IPAM.Config, network.IPAMConfig{Subnet: n.Subnet6, Gateway: n.Gateway6})
	}
	if out.Options == nil {
		out.Options = map[string]string{}
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	return out
}

// Inspect returns a network with its running containers.
func (n *Controller) Inspect(ctx context.Context, ref string) (network.Inspect, error) {
	st := n.store.Snapshot()
	nw, err := st.Network(ref)
	if err != nil {
		return network.Inspect{}, err
	}
	out := network.Inspect{Network: apiNetwork(nw), Containers: map[string]network.EndpointResource{}}
	for id, s := range st.Sandboxes {
		e := s.Endpoint(nw.ID)
		if e == nil || !e.Active() {
			continue
		}
		mac, _ := net.ParseMAC(e.MAC)
		er := network.EndpointResource{Name: s.Name, EndpointID: e.ID, MacAddress: network.HardwareAddr(mac),
			IPv4Address: netip.PrefixFrom(e.IP, nw.Subnet.Bits())}
		if e.IP6.IsValid() {
			er.IPv6Address = netip.PrefixFrom(e.IP6, nw.Subnet6.Bits())
		}
		out.Containers[id] = er
	}
	return out, nil
}

// Create creates a bridge network and its bridge.
func (n *Controller) Create(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error) {
	switch req.Driver {
	case "", "bridge":
	default:
		return network.CreateResponse{}, errdefs.NotFound("could not find plugin %s in v1 plugin registry: plugin not found", req.Driver)
	}
	if req.EnableIPv6 != nil && *req.EnableIPv6 {
		if err := bridge.IPv6Available(); err != nil {
			return network.CreateResponse{}, errdefs.InvalidParameter("--ipv6: %s", err.Error())
		}
	}
	if predefined(req.Name) {
		return network.CreateResponse{}, errdefs.Forbidden("%s is a pre-defined network and cannot be created", req.Name)
	}
	if b := req.Options[tugnet.OptBridgeName]; b != "" && bridge.Exists(b) {
		return network.CreateResponse{}, errdefs.Conflict("bridge name %s: an interface of that name exists on the host, and tug uses only bridges of its own", b)
	}
	routes, err := bridge.Routes()
	if err != nil {
		return network.CreateResponse{}, err
	}
	id := stringid.New()
	var nw *tugnet.Network
	err = n.store.Update(func(st *tugnet.State) error {
		var err error
		nw, err = addNetwork(st, id, req, n.pools, routes)
		return err
	})
	if err != nil {
		return network.CreateResponse{}, err
	}
	if err := bridge.EnsureBridge(nw.Bridge, nw.BridgeAddr(), nw.BridgeAddr6()); err != nil {
		n.dropNetwork(ctx, nw)
		return network.CreateResponse{}, fmt.Errorf("creating bridge: %w", err)
	}
	if err := n.applyRules(); err != nil {
		n.dropNetwork(ctx, nw)
		return network.CreateResponse{}, err
	}
	n.events.Publish(apievents.NetworkEventType, apievents.ActionCreate, id, map[string]string{"name": nw.Name, "type": "bridge"})
	return network.CreateResponse{ID: id}, nil
}

// dropNetwork removes nw from the state and the kernel.
func (n *Controller) dropNetwork(ctx context.Context, nw *tugnet.Network) {
	if err := n.store.Update(func(st *tugnet.State) error {
		delete(st.Networks, nw.ID)
		return nil
	}); err != nil {
		slog.WarnContext(ctx, "removing network", "id", nw.ID, "err", err)
	}
	if err := bridge.DeleteBridge(nw.Bridge); err != nil {
		slog.WarnContext(ctx, "deleting bridge", "bridge", nw.Bridge, "err", err)
	}
	if err := n.applyRules(); err != nil {
		slog.WarnContext(ctx, "programming nftables", "err", err)
	}
}

// Delete removes a network no running container uses.
func (n *Controller) Delete(ctx context.Context, ref string) error {
	var nw *tugnet.Network
	err := n.store.Update(func(st *tugnet.State) error {
		found, err := st.Network(ref)
		if err != nil {
			return err
		}
		if predefined(found.Name) {
			return errdefs.Forbidden("%s is a pre-defined network and cannot be removed", found.Name)
		}
		if active := activeOn(st, found.ID); len(active) > 0 {
			return errdefs.Forbidden("error while removing network: network %s has active endpoints (name:%q id:%q)", found.Name, active[0].Name, active[0].ContainerID[:12])
		}
		// Stopped containers forget the network, as in Docker.
		for _, s := range st.Sandboxes {
			s.Endpoints = slices.DeleteFunc(s.Endpoints, func(e *tugnet.Endpoint) bool { return e.NetworkID == found.ID })
		}
		delete(st.Networks, found.ID)
		nw = found
		return nil
	})
	if err != nil {
		return err
	}
	if err := bridge.DeleteBridge(nw.Bridge); err != nil {
		slog.WarnContext(ctx, "deleting bridge", "bridge", nw.Bridge, "err", err)
	}
	if err := n.applyRules(); err != nil {
		return err
	}
	n.events.Publish(apievents.NetworkEventType, apievents.ActionDestroy, nw.ID, map[string]string{"name": nw.Name, "type": "bridge"})
	return nil
}

// Prune removes the user networks no running container uses.
func (n *Controller) Prune(ctx context.Context, f filters.Args) (network.PruneReport, error) {
	rep := network.PruneReport{NetworksDeleted: []string{}}
	p, err := filters.NewPrune(f, time.Now())
	if err != nil {
		return rep, err
	}
	st := n.store.Snapshot()
	for _, nw := range sortedNetworks(st) {
		if predefined(nw.Name) || len(activeOn(st, nw.ID)) > 0 || !p.Match(nw.Created, nw.Labels) {
			continue
		}
		if err := n.Delete(ctx, nw.ID); err != nil {
			continue
		}
		rep.NetworksDeleted = append(rep.NetworksDeleted, nw.Name)
	}
	return rep, nil
}

// Connect attaches container c to a network, at once if it runs. The
// caller holds c's lock. When a running c joins its first user network it
// gets its resolver at once, and the returned resolv.conf (nil
// otherwise) is to replace its own, as Docker rewrites it.
func (n *Controller) Connect(ctx context.Context, ref string, c *container.Container, cfg *network.EndpointSettings) (resolvConf []byte, retErr error) {
	if !usesSandbox(c.HostConfig) {
		return nil, errdefs.Forbidden("container sharing network namespace with another container or host cannot be connected to any other network")
	}
	running := c.State.Running
	var nw tugnet.Network
	var ep tugnet.Endpoint
	var nsPath string
	var wasUser, user bool
	err := n.store.Update(func(st *tugnet.State) error {
		found, err := st.Network(networkRef(ref, cfg))
		if err != nil {
			return err
		}
		if predefined(found.Name) && found.Name != tugnet.DefaultNetwork {
			return errdefs.Forbidden("container cannot be disconnected from host network or connected to host network")
		}
		s := st.Sandboxes[c.ID]
		if s == nil {
			// Not recorded (derivable) or lost: what c's mode gives.
			if s, err = deriveSandbox(st, c); err != nil {
				s = &tugnet.Sandbox{ContainerID: c.ID, Name: c.Name, Hostname: c.Config.Hostname}
			}
			st.Sandboxes[c.ID] = s
		}
		if s.Endpoint(found.ID) != nil {
			return errdefs.Forbidden("endpoint with name %s already exists in network %s", c.Name, found.Name)
		}
		wasUser = onUserNetwork(st, s)
		e := &tugnet.Endpoint{NetworkID: found.ID}
		if cfg != nil {
			if err := endpointConfig(found, cfg, e); err != nil {
				return err
			}
		}
		s.Endpoints = append(s.Endpoints, e)
		if running && s.NetNS != "" {
			if err := allocate(st, found, e, s); err != nil {
				return err
			}
			nsPath = s.NetNS
		}
		user = onUserNetwork(st, s)
		nw, ep = *found, *e
		return nil
	})
	if err != nil {
		return nil, err
	}
	if nsPath != "" {
		defer func() {
			if retErr != nil {
				n.unplugEndpoint(ctx, c.ID, nw.ID, ep.HostVeth)
			}
		}()
		if err := plugEndpoint(nsPath, &nw, &ep, false); err != nil {
			return nil, err
		}
		if err := n.applyRules(); err != nil {
			return nil, err
		}
		// The resolvers look names up in the live state: the others see
		// c at once. c itself needs one if this is its first user network
		// (it keeps it when disconnected, as in Docker).
		hc := n.dnsConfig(c.HostConfig)
		if user && !n.hasDNS(c.ID) {
			if err := n.startDNS(c.ID, nsPath, upstreams(hc)); err != nil {
				return nil, fmt.Errorf("embedded DNS: %w", err)
			}
		}
		if user && !wasUser {
			hostResolv, _ := os.ReadFile("/etc/resolv.conf")
			resolvConf = tugnet.EmbeddedResolvConf(hostResolv, dnsAddress, hc.DNSSearch, hc.DNSOptions)
		}
	}
	n.events.Publish(apievents.NetworkEventType, apievents.ActionConnect, nw.ID, map[string]string{"container": c.ID, "name": nw.Name, "type": "bridge"})
	return resolvConf, nil
}

// unplugEndpoint undoes a failed connect of sandbox id to network netID:
// the endpoint is forgotten, its veth deleted and the rules applied again.
func (n *Controller) unplugEndpoint(ctx context.Context, id, netID, veth string) {
	_ = n.store.Update(func(st *tugnet.State) error {
		if s := st.Sandboxes[id]; s != nil {
			s.Endpoints = slices.DeleteFunc(s.Endpoints, func(e *tugnet.Endpoint) bool { return e.NetworkID == netID })
		}
		return nil
	})
	if veth != "" && bridge.Exists(veth) {
		if err := bridge.DeleteLink(veth); err != nil {
			slog.WarnContext(ctx, "deleting veth", "veth", veth, "err", err)
		}
	}
	if err := n.applyRules(); err != nil {
		slog.WarnContext(ctx, "programming nftables", "err", err)
	}
}

// Disconnect detaches container c from a network. The caller holds c's
// lock.
func (n *Controller) Disconnect(ctx context.Context, ref string, c *container.Container, force bool) error {
	var nw tugnet.Network
	var veth string
	err := n.store.Update(func(st *tugnet.State) error {
		found, err := st.Network(ref)
		if err != nil {
			return err
		}
		s := st.Sandboxes[c.ID]
		if s == nil && usesSandbox(c.HostConfig) {
			// Not recorded (derivable) or lost: what c's mode gives.
			if s, err = deriveSandbox(st, c); err == nil {
				st.Sandboxes[c.ID] = s
			}
		}
		var e *tugnet.Endpoint
		if s != nil {
			e = s.Endpoint(found.ID)
		}
		if e == nil {
			if !usesSandbox(c.HostConfig) && (found.Name == "host" || found.Name == "none") {
				return errdefs.Forbidden("container cannot be disconnected from host network or connected to host network")
			}
			return errdefs.Forbidden("container %s is not connected to network %s", c.ID, found.Name)
		}
		veth = e.HostVeth
		s.Endpoints = slices.DeleteFunc(s.Endpoints, func(x *tugnet.Endpoint) bool { return x == e })
		nw = *found
		return nil
	})
	if err != nil {
		return err
	}
	if veth != "" {
		if err := bridge.DeleteLink(veth); err != nil {
			slog.WarnContext(ctx, "deleting veth", "veth", veth, "err", err)
		}
		if err := n.applyRules(); err != nil {
			return err
		}
	}
	n.events.Publish(apievents.NetworkEventType, apievents.ActionDisconnect, nw.ID, map[string]string{"container": c.ID, "name": nw.Name, "type": "bridge"})
	return nil
}
