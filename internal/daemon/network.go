package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
	"github.com/tug-project/tug/internal/network/dns"
	"github.com/tug-project/tug/internal/network/portmap"
	"github.com/tug-project/tug/internal/oci"
)

// NetworkConfig is the networking part of daemon.json.
type NetworkConfig struct {
	Bip   string        // "bip": the default bridge's gateway address and subnet, 172.30.0.1/24
	Pools []tugnet.Pool // "default-address-pools"
}

// networking is the daemon's view of container networking: the persisted
// state, and the names of the kernel objects this daemon owns.
type networking struct {
	store  *tugnet.Store
	table  string // nftables table
	bridge string // the default bridge's interface
	nsDir  string // bind-mounted network namespaces
	pools  []tugnet.Pool
	bip    netip.Prefix

	applyMu    sync.Mutex      // one rules transaction at a time
	applied    *tugnet.Ruleset // what the table holds now
	dockerUser []string        // bridges accepted in Docker's DOCKER-USER chain

	vethWG sync.WaitGroup // background veth deletions

	dnsMu sync.Mutex
	dns   map[string]*dns.Server // embedded resolvers by container ID
}

// initNetwork opens the network state and brings the kernel in line with
// it: bridges up, the default network present, rules applied. The daemon
// on the default exec root owns tug0 and table "tug"; one on another exec
// root (tests) gets names of its own, so daemons never share them.
func (d *Daemon) initNetwork(ctx context.Context) error {
	st, err := tugnet.OpenStore(filepath.Join(d.cfg.Root, "network", "state.json"))
	if err != nil {
		return err
	}
	n := &networking{store: st, nsDir: filepath.Join(d.cfg.ExecRoot, "netns"), pools: d.cfg.Network.Pools,
		dns: map[string]*dns.Server{}}
	n.table, n.bridge = tugnet.KernelNames(d.cfg.ExecRoot)
	if len(n.pools) == 0 {
		n.pools = tugnet.DefaultPools
	}
	if d.cfg.Network.Bip != "" {
		if n.bip, err = netip.ParsePrefix(d.cfg.Network.Bip); err != nil || !n.bip.Addr().Is4() {
			return fmt.Errorf("invalid bip %q", d.cfg.Network.Bip)
		}
	}
	d.net = n
	if err := d.ensureDefaultNetwork(); err != nil {
		return err
	}
	var nets []*tugnet.Network
	st.View(func(s *tugnet.State) {
		for _, nw := range s.Networks {
			cp := *nw
			nets = append(nets, &cp)
		}
	})
	for _, nw := range nets {
		if nw.Bridge == "" {
			continue
		}
		if err := bridge.EnsureBridge(nw.Bridge, netip.PrefixFrom(nw.Gateway, nw.Subnet.Bits())); err != nil {
			return fmt.Errorf("network %s: %w", nw.Name, err)
		}
	}
	return d.applyRules()
}

// ensureDefaultNetwork records the default bridge network, choosing its
// subnet (bip, or the first pool subnet that collides with no route) when
// it is new, or when it holds no container and its subnet now collides.
func (d *Daemon) ensureDefaultNetwork() error {
	n := d.net
	routes, err := bridge.Routes(n.bridge)
	if err != nil {
		return err
	}
	return n.store.Update(func(st *tugnet.State) error {
		for name, driver := range map[string]string{"host": "host", "none": "null"} {
			if _, err := st.Network(name); err != nil {
				id := newID()
				st.Networks[id] = &tugnet.Network{ID: id, Name: name, Driver: driver, Created: time.Now().UTC()}
			}
		}
		def := st.DefaultNetwork()
		if def != nil && def.Bridge == n.bridge {
			busy := len(activeOn(st, def.ID)) > 0
			wantBip := n.bip.IsValid() && (def.Subnet != n.bip.Masked() || def.Gateway != n.bip.Addr())
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
		if n.bip.IsValid() {
			subnet, gw = n.bip.Masked(), n.bip.Addr()
		} else {
			if subnet, err = tugnet.PickSubnet(n.pools, avoid); err != nil {
				return err
			}
			gw = tugnet.FirstHost(subnet)
		}
		if def == nil {
			def = &tugnet.Network{ID: newID(), Name: tugnet.DefaultNetwork, Driver: "bridge", Created: time.Now().UTC(),
				Options: map[string]string{
					"com.docker.network.bridge.default_bridge":       "true",
					"com.docker.network.bridge.enable_icc":           "true",
					"com.docker.network.bridge.enable_ip_masquerade": "true",
					"com.docker.network.bridge.name":                 n.bridge,
				}}
			st.Networks[def.ID] = def
		}
		def.Bridge, def.Subnet, def.Gateway, def.LastIP = n.bridge, subnet, gw, netip.Addr{}
		def.Options["com.docker.network.bridge.name"] = n.bridge
		return nil
	})
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

// applyRules renders the current state into the nftables table.
func (d *Daemon) applyRules() error {
	d.net.applyMu.Lock()
	defer d.net.applyMu.Unlock()
	rs := tugnet.Plan(d.net.store.Snapshot())
	if d.net.applied != nil && reflect.DeepEqual(*d.net.applied, rs) {
		return nil // most starts and exits publish nothing: no transaction
	}
	if err := portmap.Apply(d.net.table, rs); err != nil {
		d.net.applied = nil
		return err
	}
	d.net.applied = &rs
	var bridges []string
	for _, b := range rs.Bridges {
		bridges = append(bridges, b.Bridge)
	}
	if !slices.Equal(bridges, d.net.dockerUser) {
		if err := portmap.SyncDockerUser(d.net.table, bridges); err != nil {
			return fmt.Errorf("DOCKER-USER chain: %w", err)
		}
		d.net.dockerUser = bridges
	}
	return nil
}

// usesSandbox reports whether c gets a network namespace of its own that
// tug sets up (bridge and user networks).
func usesSandbox(hc *apicontainer.HostConfig) bool {
	m := hc.NetworkMode
	return !m.IsHost() && !m.IsNone() && !m.IsContainer()
}

// validateNetworkMode checks the network mode of a new container.
func (d *Daemon) validateNetworkMode(hc *apicontainer.HostConfig) error {
	m := hc.NetworkMode
	switch {
	case m == "", m == "default", m == "bridge", m.IsNone(), m.IsHost():
		return nil
	case m.IsContainer():
		if _, err := d.lookup(m.ConnectedContainer()); err != nil {
			return err
		}
		if len(hc.PortBindings) > 0 || hc.PublishAllPorts {
			return errdefs.InvalidParameter("conflicting options: port publishing and the container type network mode")
		}
		return nil
	}
	var err error
	d.net.store.View(func(st *tugnet.State) { _, err = st.Network(string(m)) })
	return err
}

// createSandbox records the networks c joins when it starts: its network
// mode, plus the other networks of the create request.
func (d *Daemon) createSandbox(c *container.Container, nc *network.NetworkingConfig) error {
	if !usesSandbox(c.HostConfig) {
		return nil
	}
	return d.net.store.Update(func(st *tugnet.State) error {
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
			nw, err := st.Network(name)
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
		st.Sandboxes[c.ID] = s
		return nil
	})
}

func endpointConfig(nw *tugnet.Network, es *network.EndpointSettings, ep *tugnet.Endpoint) error {
	if len(es.Aliases) > 0 && nw.Default() {
		return errdefs.InvalidParameter("network-scoped alias is supported only for containers in user defined networks")
	}
	ep.Aliases = slices.Clone(es.Aliases)
	if es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid() {
		ip := es.IPAMConfig.IPv4Address
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

// netnsPath is where the network namespace of container id is mounted.
func (d *Daemon) netnsPath(id string) string { return filepath.Join(d.net.nsDir, id) }

// networkOpt returns the spec option putting c in its network namespace.
func (d *Daemon) networkOpt(c *container.Container) (oci.SpecOpt, error) {
	m := c.HostConfig.NetworkMode
	switch {
	case m.IsHost():
		return oci.WithHostNetwork(), nil
	case m.IsNone():
		return oci.WithNetworkNone(), nil
	case m.IsContainer():
		return d.joinContainerNetwork(m.ConnectedContainer(), c.ID)
	}
	return oci.WithNetNSPath(d.netnsPath(c.ID)), nil
}

// joinContainerNetwork returns the spec option putting container self in
// the network namespace of the running container ref.
func (d *Daemon) joinContainerNetwork(ref, self string) (oci.SpecOpt, error) {
	other, err := d.lookup(ref)
	if err != nil {
		return nil, err
	}
	if other.ID == self {
		return nil, errdefs.InvalidParameter("cannot join own network")
	}
	// The other container's lock is not taken: its ID and pid are
	// stable while it runs, and reading them racily only risks a
	// clear error.
	if t := d.task(other.ID); t == nil {
		return nil, errdefs.Conflict("cannot join network of a non running container: %s", other.ID)
	}
	if usesSandbox(other.HostConfig) {
		return oci.WithNetNSPath(d.netnsPath(other.ID)), nil
	}
	return oci.WithNetNSPath(fmt.Sprintf("/proc/%d/ns/net", other.State.Pid)), nil
}

// setupNetwork gives c, about to start, its namespace, addresses, veths,
// published ports and rules, and rewrites its hosts and resolv.conf. On
// error everything it did is undone.
func (d *Daemon) setupNetwork(ctx context.Context, c *container.Container) (retErr error) {
	if !usesSandbox(c.HostConfig) {
		return nil
	}
	n := d.net
	nsPath := d.netnsPath(c.ID)
	reqs, err := tugnet.PortRequests(c.HostConfig.PortBindings, c.Config.ExposedPorts, c.HostConfig.PublishAllPorts)
	if err != nil {
		return errdefs.InvalidParameter("%s", err.Error())
	}
	var sb tugnet.Sandbox
	var nets map[string]tugnet.Network
	err = n.store.Update(func(st *tugnet.State) error {
		s := st.Sandboxes[c.ID]
		if s == nil {
			// Created before tug had networking, or lost: derive it.
			s = &tugnet.Sandbox{ContainerID: c.ID}
			nw, err := st.Network(string(c.HostConfig.NetworkMode))
			if err != nil {
				return err
			}
			s.Endpoints = []*tugnet.Endpoint{{NetworkID: nw.ID}}
			st.Sandboxes[c.ID] = s
		}
		s.Name, s.Hostname = c.Name, c.Config.Hostname
		s.Ports = nil
		var err error
		if nets, err = allocateSandbox(st, s, nsPath); err != nil {
			return err
		}
		if len(reqs) > 0 && tugnet.PrimaryIP(st, s).IsValid() {
			others := st.Mappings(c.ID)
			for _, r := range reqs {
				mine := s.Ports
				port, err := portmap.Reserve(r, func(p uint16) bool {
					for _, m := range append(others, mine...) {
						if m.Conflicts(r.Proto, r.HostIP, p) {
							return true
						}
					}
					return false
				})
				if err != nil {
					return fmt.Errorf("driver failed programming external connectivity on endpoint %s (%s): %w", c.Name, s.Endpoints[0].ID, err)
				}
				s.Ports = append(s.Ports, tugnet.PortMapping{Proto: r.Proto, HostIP: r.HostIP, HostPort: port, ContainerPort: r.ContainerPort})
			}
		}
		sb = *s
		return nil
	})
	if err != nil {
		d.releaseNetwork(ctx, c.ID)
		return err
	}
	defer func() {
		if retErr != nil {
			d.teardownNetwork(ctx, c.ID)
		}
	}()
	if err := d.plugSandbox(&sb, nets); err != nil {
		return err
	}
	dir := d.containers.Dir(c.ID)
	hosts := tugnet.Hosts(append(extraHosts(c.HostConfig.ExtraHosts), sandboxHostsEntries(&sb, c.Config.Hostname)...))
	if err := os.WriteFile(filepath.Join(dir, "hosts"), hosts, 0o644); err != nil {
		return err
	}
	return d.setupDNS(ctx, c, &sb, nets)
}

// allocateSandbox gives every endpoint of s a fresh address, MAC and
// veth name, and records nsPath as its namespace; it returns the networks
// of the endpoints by ID. It runs inside a store update.
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

// plugSandbox makes the kernel side of sb, allocated by allocateSandbox:
// its namespace, a veth per endpoint (the first one with the default
// route), and the rules. The caller undoes it with teardownNetwork, on
// error too.
func (d *Daemon) plugSandbox(sb *tugnet.Sandbox, nets map[string]tugnet.Network) error {
	if err := bridge.NewNetNS(sb.NetNS); err != nil {
		return fmt.Errorf("creating network namespace: %w", err)
	}
	for i, e := range sb.Endpoints {
		nw := nets[e.NetworkID]
		if err := plugEndpoint(sb.NetNS, &nw, e, i == 0); err != nil {
			return err
		}
	}
	if err := d.applyRules(); err != nil {
		return fmt.Errorf("programming nftables: %w", err)
	}
	return nil
}

// sandboxHostsEntries is the /etc/hosts line naming the sandbox's first
// address after its hostname.
func sandboxHostsEntries(sb *tugnet.Sandbox, hostname string) []tugnet.HostsEntry {
	for _, e := range sb.Endpoints {
		if e.Active() {
			return []tugnet.HostsEntry{{IP: e.IP.String(), Names: []string{hostname}}}
		}
	}
	return nil
}

// plugEndpoint makes the veth pair of endpoint e on nw in the namespace
// at nsPath; the primary endpoint gets the default route.
func plugEndpoint(nsPath string, nw *tugnet.Network, e *tugnet.Endpoint, primary bool) error {
	mac, _ := parseMAC(e.MAC)
	if err := bridge.EnsureBridge(nw.Bridge, netip.PrefixFrom(nw.Gateway, nw.Subnet.Bits())); err != nil {
		return err
	}
	ep := bridge.Endpoint{Bridge: nw.Bridge, HostVeth: e.HostVeth, NetNS: nsPath, IfName: e.IfName,
		Addr: netip.PrefixFrom(e.IP, nw.Subnet.Bits()), MAC: mac}
	if primary && !nw.Internal {
		ep.Gateway = nw.Gateway
	}
	if err := bridge.AddEndpoint(ep); err != nil {
		return fmt.Errorf("network %s: %w", nw.Name, err)
	}
	return nil
}

// allocate gives endpoint e of sandbox s on nw its address, MAC, IDs and
// interface names (the first ethN no other active endpoint of s has).
func allocate(st *tugnet.State, nw *tugnet.Network, e *tugnet.Endpoint, s *tugnet.Sandbox) error {
	used := st.UsedIPs(nw.ID)
	if e.Active() {
		delete(used, e.IP)
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
	e.MAC = tugnet.MACFromIP(ip).String()
	e.ID = newID()
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

// teardownNetwork removes what setupNetwork made for container id: veths,
// namespace, rules, addresses. Errors are logged: it runs on exit paths.
func (d *Daemon) teardownNetwork(ctx context.Context, id string) {
	var sb *tugnet.Sandbox
	d.net.store.View(func(st *tugnet.State) {
		if s := st.Sandboxes[id]; s != nil {
			cp := *s
			sb = &cp
			sb.Endpoints = nil
			for _, e := range s.Endpoints {
				ce := *e
				sb.Endpoints = append(sb.Endpoints, &ce)
			}
		}
	})
	if sb == nil {
		return
	}
	d.stopDNS(id)
	if sb.NetNS != "" {
		if err := bridge.DeleteNetNS(sb.NetNS); err != nil {
			slog.WarnContext(ctx, "deleting network namespace", "id", id, "err", err)
		}
	} else {
		_ = bridge.DeleteNetNS(d.netnsPath(id))
	}
	// With its namespace gone the kernel destroys the veth pairs itself;
	// deleting them (15-20 ms each, an RCU grace period) is taken off the
	// exit path. Explicit deletion makes sure of it should something still
	// hold the namespace; reconcileNetwork catches what a crash leaves.
	var veths []string
	for _, e := range sb.Endpoints {
		if e.HostVeth != "" {
			veths = append(veths, e.HostVeth)
		}
	}
	if len(veths) > 0 {
		d.net.vethWG.Add(1)
		go func() {
			defer d.net.vethWG.Done()
			for _, v := range veths {
				if err := bridge.DeleteLink(v); err != nil {
					slog.Warn("deleting veth", "id", id, "veth", v, "err", err)
				}
			}
		}()
	}
	d.releaseNetwork(ctx, id)
	if err := d.applyRules(); err != nil {
		slog.WarnContext(ctx, "programming nftables", "err", err)
	}
}

// releaseNetwork forgets the addresses and ports of container id's
// sandbox; the sandbox itself (its networks) stays for the next start.
func (d *Daemon) releaseNetwork(ctx context.Context, id string) {
	err := d.net.store.Update(func(st *tugnet.State) error {
		s := st.Sandboxes[id]
		if s == nil {
			return nil
		}
		s.NetNS, s.Ports = "", nil
		for _, e := range s.Endpoints {
			e.ID, e.IP, e.MAC, e.HostVeth, e.IfName = "", netip.Addr{}, "", "", ""
		}
		return nil
	})
	if err != nil {
		slog.WarnContext(ctx, "releasing network addresses", "id", id, "err", err)
	}
}

// removeSandbox forgets container id's networks (on rm).
func (d *Daemon) removeSandbox(ctx context.Context, id string) {
	d.teardownNetwork(ctx, id)
	if err := d.net.store.Update(func(st *tugnet.State) error {
		delete(st.Sandboxes, id)
		return nil
	}); err != nil {
		slog.WarnContext(ctx, "removing network state", "id", id, "err", err)
	}
}

// reconcileNetwork runs after restore: sandboxes of containers that are
// not running are torn down; veths on tug's bridges and namespaces that
// belong to no running sandbox are removed; the rules are re-applied.
func (d *Daemon) reconcileNetwork(ctx context.Context) {
	running := map[string]bool{}
	for _, c := range d.containers.List() {
		if d.task(c.ID) != nil {
			running[c.ID] = true
		}
	}
	st := d.net.store.Snapshot()
	keepVeth := map[string]bool{}
	keepNS := map[string]bool{}
	for id, s := range st.Sandboxes {
		if _, err := d.lookup(id); err != nil {
			d.removeSandbox(ctx, id)
			continue
		}
		if !running[id] {
			if s.NetNS != "" {
				d.teardownNetwork(ctx, id)
			}
			continue
		}
		keepNS[filepath.Base(s.NetNS)] = true
		if onUserNetwork(st, s) {
			// The resolver died with the previous daemon.
			if c, err := d.lookup(id); err == nil {
				if err := d.startDNS(c.ID, s.NetNS, d.upstreams(c)); err != nil {
					slog.WarnContext(ctx, "restarting embedded DNS", "id", id, "err", err)
				}
			}
		}
		for _, e := range s.Endpoints {
			keepVeth[e.HostVeth] = true
		}
	}
	for _, nw := range st.Networks {
		veths, err := bridge.Veths(nw.Bridge)
		if err != nil {
			slog.WarnContext(ctx, "listing veths", "bridge", nw.Bridge, "err", err)
		}
		for _, v := range veths {
			if !keepVeth[v] {
				slog.InfoContext(ctx, "removing stale veth", "veth", v)
				_ = bridge.DeleteLink(v)
			}
		}
	}
	if ents, err := os.ReadDir(d.net.nsDir); err == nil {
		for _, e := range ents {
			if !keepNS[e.Name()] {
				slog.InfoContext(ctx, "removing stale network namespace", "netns", e.Name())
				_ = bridge.DeleteNetNS(filepath.Join(d.net.nsDir, e.Name()))
			}
		}
	}
	if err := d.applyRules(); err != nil {
		slog.WarnContext(ctx, "programming nftables", "err", err)
	}
}

// closeNetwork runs at a clean stop. Running containers keep their
// networking; when none runs, the bridges and the table are removed
// (they are made again at the next start), so no kernel state outlives
// the daemon without a reason.
func (d *Daemon) closeNetwork(ctx context.Context) {
	d.stopAllDNS()
	d.net.vethWG.Wait()
	st := d.net.store.Snapshot()
	for _, s := range st.Sandboxes {
		if s.NetNS != "" {
			return
		}
	}
	for _, nw := range st.Networks {
		if nw.Bridge == "" {
			continue
		}
		if err := bridge.DeleteBridge(nw.Bridge); err != nil {
			slog.WarnContext(ctx, "deleting bridge", "bridge", nw.Bridge, "err", err)
		}
	}
	if err := portmap.SyncDockerUser(d.net.table, nil); err != nil {
		slog.WarnContext(ctx, "cleaning DOCKER-USER chain", "err", err)
	}
	if err := portmap.Delete(d.net.table); err != nil {
		slog.WarnContext(ctx, "deleting nftables table", "err", err)
	}
}

// networkSettings is the NetworkSettings of c's inspect document.
func (d *Daemon) networkSettings(c *container.Container) *apicontainer.NetworkSettings {
	ns := &apicontainer.NetworkSettings{Ports: network.PortMap{}, Networks: map[string]*network.EndpointSettings{}}
	mode := c.HostConfig.NetworkMode
	if !usesSandbox(c.HostConfig) {
		if !mode.IsContainer() {
			ns.Networks[string(mode)] = &network.EndpointSettings{}
		}
		if c.State.Running && !mode.IsHost() {
			ns.SandboxKey = "/proc/" + strconv.Itoa(c.State.Pid) + "/ns/net"
		}
		return ns
	}
	d.net.store.View(func(st *tugnet.State) {
		s := st.Sandboxes[c.ID]
		if s == nil {
			ns.Networks[string(mode)] = &network.EndpointSettings{}
			return
		}
		if s.NetNS != "" {
			ns.SandboxKey = s.NetNS
			ns.SandboxID = c.ID
		}
		ns.Ports = tugnet.PortMap(s.Ports, c.Config.ExposedPorts)
		for _, e := range s.Endpoints {
			nw := st.Networks[e.NetworkID]
			if nw == nil {
				continue
			}
			ns.Networks[nw.Name] = endpointSettings(nw, s, e)
		}
	})
	return ns
}

func endpointSettings(nw *tugnet.Network, s *tugnet.Sandbox, e *tugnet.Endpoint) *network.EndpointSettings {
	es := &network.EndpointSettings{NetworkID: nw.ID, Aliases: slices.Clone(e.Aliases)}
	if e.RequestedIP.IsValid() {
		es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: e.RequestedIP}
	}
	if !nw.Default() {
		es.DNSNames = append([]string{s.Name}, e.Aliases...)
		if len(s.ContainerID) >= 12 {
			es.DNSNames = append(es.DNSNames, s.ContainerID[:12])
		}
	}
	if e.Active() {
		es.EndpointID = e.ID
		es.IPAddress = e.IP
		es.IPPrefixLen = nw.Subnet.Bits()
		if !nw.Internal {
			es.Gateway = nw.Gateway
		}
		if mac, err := parseMAC(e.MAC); err == nil {
			es.MacAddress = network.HardwareAddr(mac)
		}
	}
	return es
}

// portSummaries is the Ports of c's `ps` line.
func (d *Daemon) portSummaries(c *container.Container) []apicontainer.PortSummary {
	var ports []tugnet.PortMapping
	d.net.store.View(func(st *tugnet.State) {
		if s := st.Sandboxes[c.ID]; s != nil {
			ports = slices.Clone(s.Ports)
		}
	})
	return tugnet.PortSummaries(ports, c.Config.ExposedPorts)
}

// summaryNetworks is the NetworkSettings of c's `ps` line.
func (d *Daemon) summaryNetworks(c *container.Container) map[string]*network.EndpointSettings {
	return d.networkSettings(c).Networks
}

func parseMAC(s string) (net.HardwareAddr, error) { return net.ParseMAC(s) }
