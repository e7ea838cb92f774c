package controller

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
	"github.com/tug-project/tug/internal/network/links"
	"github.com/tug-project/tug/internal/stringid"
)

// The controller's decisions, as functions over the state that touch no
// kernel: each runs inside a store update or view.

// ensureDefaultNetworks records the host and none networks and the default
// bridge network on the interface br, choosing its subnet (bip, or the
// first pool subnet that collides with no route) when it is new, or when
// it holds no container and its subnet now collides.
func ensureDefaultNetworks(st *tugnet.State, br string, bip netip.Prefix, pools []tugnet.Pool, routes []netip.Prefix) error {
	for name, driver := range map[string]string{"host": "host", "none": "null"} {
		if _, err := st.Network(name); err != nil {
			id := stringid.New()
			st.Networks[id] = &tugnet.Network{ID: id, Name: name, Driver: driver, Created: time.Now().UTC()}
		}
	}
	def := st.DefaultNetwork()
	if def != nil && def.Bridge == br {
		busy := len(activeOn(st, def.ID)) > 0
		wantBip := bip.IsValid() && (def.Subnet != bip.Masked() || def.Gateway != bip.Addr())
		if busy || (!wantBip && !tugnet.Overlaps(def.Subnet, routes)) {
			return nil
		}
	}
	var avoid []netip.Prefix
	avoid = append(avoid, routes...)
	for _, nw := range st.Networks {
		if !nw.Default() && nw.Subnet.IsValid() {
			avoid = append(avoid, nw.Subnet)
		}
	}
	var subnet netip.Prefix
	var gw netip.Addr
	if bip.IsValid() {
		subnet, gw = bip.Masked(), bip.Addr()
	} else {
		var err error
		if subnet, err = tugnet.PickSubnet(pools, avoid); err != nil {
			return err
		}
		gw = tugnet.FirstHost(subnet)
	}
	if def == nil {
		def = &tugnet.Network{ID: stringid.New(), Name: tugnet.DefaultNetwork, Driver: "bridge", Created: time.Now().UTC(),
			Options: map[string]string{
				"com.docker.network.bridge.default_bridge":       "true",
				"com.docker.network.bridge.enable_icc":           "true",
				"com.docker.network.bridge.enable_ip_masquerade": "true",
				"com.docker.network.bridge.name":                 br,
			}}
		st.Networks[def.ID] = def
	}
	def.Bridge, def.Subnet, def.Gateway, def.LastIP = br, subnet, gw, netip.Addr{}
	def.Options["com.docker.network.bridge.name"] = br
	return nil
}

// addNetwork records the bridge network of a create request under id,
// with the requested subnet and gateway or ones picked from pools clear
// of routes and the other networks. The request's driver, IPv6 and name
// were checked by the caller.
func addNetwork(st *tugnet.State, id string, req network.CreateRequest, pools []tugnet.Pool, routes []netip.Prefix) (*tugnet.Network, error) {
	for _, n := range st.Networks {
		if n.Name == req.Name {
			return nil, errdefs.Conflict("network with name %s already exists", req.Name)
		}
	}
	opts, err := tugnet.ParseBridgeOptions(req.Options)
	if err != nil {
		return nil, errdefs.InvalidParameter("%s", err.Error())
	}
	nw := &tugnet.Network{ID: id, Name: req.Name, Driver: "bridge", Created: time.Now().UTC(), Internal: req.Internal,
		Labels: maps.Clone(req.Labels), Options: maps.Clone(req.Options), Bridge: "tug-" + id[:11]}
	if opts.Name != "" {
		for _, o := range st.Networks {
			if o.Bridge == opts.Name {
				return nil, errdefs.Conflict("bridge name %s is used by network %s", opts.Name, o.Name)
			}
		}
		nw.Bridge = opts.Name
	}
	ipv6 := req.EnableIPv6 != nil && *req.EnableIPv6
	var v4Seen bool
	for _, c := range ipamConfigs(req) {
		if c.Subnet.IsValid() && c.Subnet.Addr().Is6() || !c.Subnet.IsValid() && c.Gateway.Is6() {
			if err := ipv6Config(st, nw, c, ipv6); err != nil {
				return nil, err
			}
			continue
		}
		if v4Seen {
			return nil, errdefs.InvalidParameter("more than one IPv4 subnet per network is not supported by tug")
		}
		v4Seen = true
		if c.Subnet.IsValid() {
			if tugnet.Overlaps(c.Subnet, st.Subnets()) {
				return nil, errdefs.Forbidden("invalid pool request: Pool overlaps with other one on this address space")
			}
			nw.Subnet, nw.UserSubnet = c.Subnet.Masked(), true
		}
		if c.Gateway.IsValid() {
			if !nw.Subnet.IsValid() || !nw.Subnet.Contains(c.Gateway) {
				return nil, errdefs.InvalidParameter("invalid gateway %s: not in the subnet", c.Gateway)
			}
			nw.Gateway = c.Gateway
		}
	}
	if ipv6 && !nw.IPv6() {
		return nil, errdefs.InvalidParameter("--ipv6 needs an IPv6 subnet (--subnet fd00:1::/64, say): tug has no default IPv6 pool")
	}
	if !nw.Subnet.IsValid() {
		subnet, err := tugnet.PickSubnet(pools, append(routes, st.Subnets()...))
		if err != nil {
			return nil, errdefs.Forbidden("%s", err.Error())
		}
		nw.Subnet = subnet
	}
	if !nw.Gateway.IsValid() {
		nw.Gateway = tugnet.FirstHost(nw.Subnet)
	}
	st.Networks[id] = nw
	return nw, nil
}

func activeOn(st *tugnet.State, netID string) []*tugnet.Sandbox {
	var out []*tugnet.Sandbox
	for _, s := range st.Sandboxes {
		if e := s.Endpoint(netID); e != nil && e.Active() {
			out = append(out, s)
		}
	}
	return out
}

func predefined(name string) bool {
	return name == tugnet.DefaultNetwork || name == "host" || name == "none"
}

// networkRef is what a request's endpoint settings es under key name attach
// to: es.NetworkID when it is set and name is a user-defined network, else
// name. Docker prefers the ID so (moby's getNetworkID); clients such as
// testcontainers send both.
func networkRef(name string, es *network.EndpointSettings) string {
	if es != nil && es.NetworkID != "" && !predefined(name) && name != "default" && !strings.HasPrefix(name, "container:") {
		return es.NetworkID
	}
	return name
}

// usesSandbox reports whether a container gets a network namespace of its
// own that tug sets up (bridge and user networks).
func usesSandbox(hc *apicontainer.HostConfig) bool {
	m := hc.NetworkMode
	return !m.IsHost() && !m.IsNone() && !m.IsContainer()
}

// onUserNetwork reports whether s has an endpoint on a user network:
// those containers get the embedded resolver; the default bridge has none,
// like Docker's.
func onUserNetwork(st *tugnet.State, s *tugnet.Sandbox) bool {
	for _, e := range s.Endpoints {
		if n := st.Networks[e.NetworkID]; n != nil && !n.Default() && n.Bridge != "" {
			return true
		}
	}
	return false
}

// addSandbox records the networks c joins when it starts: its network
// mode, plus the other networks of the create request.
func addSandbox(st *tugnet.State, c *container.Container, nc *network.NetworkingConfig) error {
	s := &tugnet.Sandbox{ContainerID: c.ID, Name: c.Name, Hostname: c.Config.Hostname}
	primary := string(c.HostConfig.NetworkMode)
	cfgs := map[string]*network.EndpointSettings{}
	if nc != nil {
		for name, es := range nc.EndpointsConfig {
			// The docker CLI names the default network "default".
			if name == "default" {
				name = "bridge"
			}
			cfgs[name] = es
		}
	}
	names := []string{primary}
	if es, ok := cfgs["default"]; ok && primary == tugnet.DefaultNetwork && cfgs[primary] == nil {
		cfgs = maps.Clone(cfgs) // docker's CLI names the default network "default"
		cfgs[primary] = es
	}
	for name := range cfgs {
		if name != primary && name != "default" {
			names = append(names, name)
		}
	}
	slices.Sort(names[1:])
	for _, name := range names {
		nw, err := st.Network(networkRef(name, cfgs[name]))
		if err != nil {
			return err
		}
		if s.Endpoint(nw.ID) != nil {
			continue
		}
		ep := &tugnet.Endpoint{NetworkID: nw.ID}
		if es := cfgs[name]; es != nil {
			if err := endpointConfig(nw, es, ep); err != nil {
				return err
			}
		}
		s.Endpoints = append(s.Endpoints, ep)
	}
	if len(s.Endpoints) > 0 {
		s.DefaultMode = st.Networks[s.Endpoints[0].NetworkID].Default()
	}
	st.Sandboxes[c.ID] = s
	return nil
}

// deriveSandbox is the sandbox of container c when the state has none:
// one endpoint, on the network of c's network mode, as addSandbox makes
// it without endpoint settings (a derivable sandbox, which the durable
// state does not keep, or one lost).
func deriveSandbox(st *tugnet.State, c *container.Container) (*tugnet.Sandbox, error) {
	nw, err := st.Network(string(c.HostConfig.NetworkMode))
	if err != nil {
		return nil, err
	}
	return &tugnet.Sandbox{ContainerID: c.ID, Name: c.Name, Hostname: c.Config.Hostname,
		Endpoints: []*tugnet.Endpoint{{NetworkID: nw.ID}}, DefaultMode: nw.Default()}, nil
}

// endpointConfig checks the endpoint settings es of a request on nw and
// records them in ep: aliases (user networks only), a requested IPv4
// address (on user subnets, inside the subnet), link-local addresses
// (user networks only) and a MAC address (unicast).
func endpointConfig(nw *tugnet.Network, es *network.EndpointSettings, ep *tugnet.Endpoint) error {
	if len(es.Aliases) > 0 && nw.Default() {
		return errdefs.InvalidParameter("network-scoped alias is supported only for containers in user defined networks")
	}
	ep.Aliases = slices.Clone(es.Aliases)
	for _, l := range es.Links {
		if nw.Default() {
			return errdefs.InvalidParameter("endpoint Links are for user-defined networks: on the default bridge, links are HostConfig.Links (--link)")
		}
		name, alias, err := links.Parse(l)
		if err != nil {
			return errdefs.InvalidParameter("%s", err.Error())
		}
		ep.Links = append(ep.Links, name+":"+alias)
	}
	if len(es.MacAddress) > 0 {
		mac := net.HardwareAddr(es.MacAddress)
		if len(mac) != 6 || mac[0]&1 != 0 || mac.String() == "00:00:00:00:00:00" {
			return errdefs.InvalidParameter("invalid MAC address %s: a unicast Ethernet address is needed", mac)
		}
		ep.RequestedMAC = mac.String()
	}
	if es.IPAMConfig == nil {
		return nil
	}
	if ll := es.IPAMConfig.LinkLocalIPs; len(ll) > 0 {
		if nw.Default() {
			return errdefs.InvalidParameter("user specified IP address is supported on user defined networks only")
		}
		for _, a := range ll {
			if !a.IsValid() || !a.IsLinkLocalUnicast() {
				return errdefs.InvalidParameter("invalid link-local IP address: %s", a)
			}
		}
		ep.LinkLocalIPs = slices.Clone(ll)
	}
	if ip := es.IPAMConfig.IPv6Address; ip.IsValid() {
		switch {
		case !ip.Is6() || ip.Is4In6():
			return errdefs.InvalidParameter("invalid IPv6 address: %s", ip)
		case !nw.IPv6():
			return errdefs.InvalidParameter("--ip6 %s: network %s has no IPv6 subnet (create it with --ipv6 --subnet)", ip, nw.Name)
		case !nw.Subnet6.Contains(ip):
			return errdefs.InvalidParameter("no configured subnet or ip-range contain the IP address %s", ip)
		}
		ep.RequestedIP6 = ip
	}
	if es.IPAMConfig.IPv4Address.IsValid() {
		ip := es.IPAMConfig.IPv4Address
		if !ip.Is4() {
			return errdefs.InvalidParameter("invalid IPv4 address: %s", ip)
		}
		if !nw.UserSubnet {
			return errdefs.InvalidParameter("user specified IP address is supported on user defined networks only")
		}
		if !nw.Subnet.Contains(ip) {
			return errdefs.InvalidParameter("no configured subnet or ip-range contain the IP address %s", ip)
		}
		ep.RequestedIP = ip
	}
	return nil
}

// allocateSandbox gives every endpoint of s a fresh address, MAC and
// veth name, and records nsPath as its namespace; it returns the networks
// of the endpoints by ID.
func allocateSandbox(st *tugnet.State, s *tugnet.Sandbox, nsPath string) (map[string]tugnet.Network, error) {
	s.NetNS = nsPath
	for _, e := range s.Endpoints {
		e.IP = netip.Addr{} // a fresh start: everything is allocated anew
	}
	nets := map[string]tugnet.Network{}
	for _, e := range s.Endpoints {
		nw := st.Networks[e.NetworkID]
		if nw == nil {
			return nil, errdefs.NotFound("network %s not found", e.NetworkID)
		}
		if err := allocate(st, nw, e, s); err != nil {
			return nil, err
		}
		nets[nw.ID] = *nw
	}
	return nets, nil
}

// allocate gives endpoint e of sandbox s on nw its address, MAC, IDs and
// interface names (the first ethN no other active endpoint of s has).
func allocate(st *tugnet.State, nw *tugnet.Network, e *tugnet.Endpoint, s *tugnet.Sandbox) error {
	used := st.UsedIPs(nw.ID)
	if e.Active() {
		delete(used, e.IP)
		delete(used, e.IP6)
	}
	ip := e.RequestedIP
	if ip.IsValid() {
		if used[ip] {
			return errdefs.Conflict("Address already in use")
		}
	} else {
		var err error
		if ip, err = tugnet.NextIP(nw.Subnet, used, nw.LastIP); err != nil {
			return err
		}
		nw.LastIP = ip
	}
	e.IP = ip
	e.IP6 = netip.Addr{}
	if nw.IPv6() {
		ip6 := e.RequestedIP6
		if ip6.IsValid() {
			if used[ip6] {
				return errdefs.Conflict("Address already in use")
			}
		} else {
			var err error
			if ip6, err = tugnet.NextIP6(nw.Subnet6, used, nw.LastIP6); err != nil {
				return err
			}
			nw.LastIP6 = ip6
		}
		e.IP6 = ip6
	}
	e.MAC = e.RequestedMAC
	if e.MAC == "" {
		e.MAC = tugnet.MACFromIP(ip).String()
	}
	e.ID = stringid.New()
	e.HostVeth = bridge.VethPrefix + e.ID[:8]
	taken := map[string]bool{}
	for _, o := range s.Endpoints {
		if o != e && o.Active() {
			taken[o.IfName] = true
		}
	}
	for i := 0; ; i++ {
		if name := fmt.Sprintf("eth%d", i); !taken[name] {
			e.IfName = name
			break
		}
	}
	return nil
}

// sandboxHostsEntries is the /etc/hosts line naming the sandbox's first
// address after its hostname.
func sandboxHostsEntries(sb *tugnet.Sandbox, hostname string) []tugnet.HostsEntry {
	for _, e := range sb.Endpoints {
		if e.Active() {
			out := []tugnet.HostsEntry{{IP: e.IP.String(), Names: []string{hostname}}}
			if e.IP6.IsValid() {
				out = append(out, tugnet.HostsEntry{IP: e.IP6.String(), Names: []string{hostname}})
			}
			return out
		}
	}
	return nil
}

// HostGateway is the special address of --add-host NAME:host-gateway.
const HostGateway = "host-gateway"

// extraHosts are the /etc/hosts entries of --add-host (host:ip or
// host=ip, the address in brackets or not); host-gateway is hostGW, the
// default bridge's gateway, as Docker's default host-gateway-ip.
func extraHosts(in []string, hostGW netip.Addr) []tugnet.HostsEntry {
	var out []tugnet.HostsEntry
	for _, h := range in {
		name, ip, ok := strings.Cut(h, ":")
		if !ok {
			name, ip, _ = strings.Cut(h, "=")
		}
		ip = strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
		if ip == HostGateway && hostGW.IsValid() {
			ip = hostGW.String()
		}
		out = append(out, tugnet.HostsEntry{IP: ip, Names: []string{name}})
	}
	return out
}

// withHostBinding gives the port requests that name no host address the
// host_binding_ipv4 option of the network the ports lead to (the first
// active non-internal endpoint's, see tugnet.PrimaryIP), as Docker does.
func withHostBinding(st *tugnet.State, s *tugnet.Sandbox, reqs []tugnet.PortRequest) []tugnet.PortRequest {
	var def netip.Addr
	for _, e := range s.Endpoints {
		if n := st.Networks[e.NetworkID]; e.Active() && n != nil && !n.Internal {
			def = n.BridgeOptions().HostBindingIPv4
			break
		}
	}
	out := slices.Clone(reqs)
	for i := range out {
		if !out[i].HostIP.IsValid() {
			out[i].HostIP = def
		}
	}
	return out
}

// linkAddresses fills in the address of each linked container on the
// default bridge, where legacy links live.
func linkAddresses(st *tugnet.State, lks []Link) error {
	def := st.DefaultNetwork()
	for i, l := range lks {
		var e *tugnet.Endpoint
		if s := st.Sandboxes[l.ContainerID]; s != nil && def != nil {
			e = s.Endpoint(def.ID)
		}
		if e == nil || !e.Active() {
			return errdefs.InvalidParameter("Cannot link to /%s, as it does not belong to the default network", l.Child.Name)
		}
		lks[i].Child.IP = e.IP
	}
	return nil
}

func ipamConfigs(req network.CreateRequest) []network.IPAMConfig {
	if req.IPAM == nil {
		return nil
	}
	return req.IPAM.Config
}

// ipv6Config records the IPv6 subnet and gateway of c on nw: only with
// EnableIPv6 (--ipv6), one per network, clear of the other networks',
// the gateway inside it (by default its first address).
func ipv6Config(st *tugnet.State, nw *tugnet.Network, c network.IPAMConfig, enabled bool) error {
	if !enabled {
		return errdefs.InvalidParameter("IPv6 subnet %s given without --ipv6 (EnableIPv6)", c.Subnet)
	}
	if nw.IPv6() {
		return errdefs.InvalidParameter("more than one IPv6 subnet per network is not supported by tug")
	}
	if !c.Subnet.IsValid() {
		return errdefs.InvalidParameter("invalid gateway %s: an IPv6 gateway needs an IPv6 subnet", c.Gateway)
	}
	subnet := c.Subnet.Masked()
	if subnet.Bits() > 124 {
		return errdefs.InvalidParameter("IPv6 subnet %s is too small: tug needs a /124 or larger", subnet)
	}
	if tugnet.Overlaps(subnet, st.Subnets6()) {
		return errdefs.Forbidden("invalid pool request: Pool overlaps with other one on this address space")
	}
	nw.Subnet6, nw.Gateway6 = subnet, subnet.Addr().Next()
	if c.Gateway.IsValid() {
		if !c.Gateway.Is6() || !subnet.Contains(c.Gateway) {
			return errdefs.InvalidParameter("invalid gateway %s: not in the subnet %s", c.Gateway, subnet)
		}
		nw.Gateway6 = c.Gateway
	}
	return nil
}
