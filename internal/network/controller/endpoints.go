package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
	"github.com/tug-project/tug/internal/network/links"
	"github.com/tug-project/tug/internal/network/portmap"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/trace"
)

// Attachment is what a container or build step sees of its network: the
// spec option putting it in its namespace, and the contents of its
// /etc/hosts and /etc/resolv.conf. A nil file means "keep the one written
// at create".
type Attachment struct {
	NetNS      oci.SpecOpt
	Hosts      []byte
	ResolvConf []byte
	LinkEnv    []string // the environment of its legacy links (--link)
	// Release, when set, is called once the container's process runs or
	// its start failed: it lets go of what only the start needed (with
	// --network none, the daemon's hold on the namespace made for it).
	Release func()
}

// Link is a legacy link (--link) of a container on the default bridge to
// a running container, ContainerID, known to it as Alias.
type Link struct {
	Alias       string
	ContainerID string
	Child       links.Child // IP is filled in by Attach
}

// ValidateMode checks the network mode of a new container: a user
// network must exist, and a container mode publishes no ports. The caller
// checks that the container of a container mode exists.
func (n *Controller) ValidateMode(hc *apicontainer.HostConfig) error {
	m := hc.NetworkMode
	switch {
	case m == "", m == "default", m == "bridge", m.IsNone(), m.IsHost():
		return nil
	case m.IsContainer():
		if len(hc.PortBindings) > 0 || hc.PublishAllPorts {
			return errdefs.InvalidParameter("conflicting options: port publishing and the container type network mode")
		}
		return nil
	}
	var err error
	n.store.View(func(st *tugnet.State) { _, err = st.Network(string(m)) })
	return err
}

// ValidateSharedNetwork checks the create request of a container that
// shares another's network (--network container:X): it takes X's
// hostname, /etc files and ports, so naming its own is refused, with
// Docker's texts. Containers of the CRI, which pass their pod's hostname
// and DNS, are not checked.
func ValidateSharedNetwork(cfg *apicontainer.Config, hc *apicontainer.HostConfig) error {
	if !hc.NetworkMode.IsContainer() {
		return nil
	}
	switch {
	case hc.NetworkMode.ConnectedContainer() == "":
		return errdefs.InvalidParameter("Invalid network mode: invalid container format container:<name|id>")
	case cfg.Hostname != "":
		return errdefs.InvalidParameter("conflicting options: hostname and the network mode")
	case len(hc.DNS) > 0:
		return errdefs.InvalidParameter("conflicting options: dns and the network mode")
	case len(hc.ExtraHosts) > 0:
		return errdefs.InvalidParameter("conflicting options: custom host-to-IP mapping and the network mode")
	case len(hc.PortBindings) > 0 || hc.PublishAllPorts:
		return errdefs.InvalidParameter("conflicting options: port publishing and the container type network mode")
	case len(cfg.ExposedPorts) > 0:
		return errdefs.InvalidParameter("conflicting options: port exposing and the container type network mode")
	}
	return nil
}

// AddSandbox records the networks container c, being created, joins when
// it starts: its network mode, plus the other networks of the create
// request. A sandbox that is what c's network mode alone gives (one
// unconfigured endpoint on the default bridge) is checked but not
// recorded: it is derived from c where it is needed (deriveSandbox), so a
// plain `run` writes no state at create.
func (n *Controller) AddSandbox(c *container.Container, nc *network.NetworkingConfig) error {
	if !usesSandbox(c.HostConfig) {
		return nil
	}
	return n.store.Update(func(st *tugnet.State) error {
		if err := addSandbox(st, c, nc); err != nil {
			return err
		}
		if s := st.Sandboxes[c.ID]; s.Derivable(st) {
			delete(st.Sandboxes, c.ID)
		}
		return nil
	})
}

// EtcFiles returns the /etc/hosts and /etc/resolv.conf of container c as
// it is created: the host's with --network host, otherwise derived from
// the host's resolv.conf and --add-host, --dns, --dns-search and
// --dns-option.
func (n *Controller) EtcFiles(c *container.Container) (hosts, resolv []byte) {
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	return etcFiles(n.dnsConfig(c.HostConfig), hostResolv, n.hostGateway(), readHostHosts)
}

func readHostHosts() ([]byte, error) { return os.ReadFile("/etc/hosts") }

// hostGateway is the address of --add-host NAME:host-gateway: the default
// bridge's gateway.
func (n *Controller) hostGateway() netip.Addr {
	var gw netip.Addr
	n.store.View(func(st *tugnet.State) {
		if d := st.DefaultNetwork(); d != nil {
			gw = d.Gateway
		}
	})
	return gw
}

func etcFiles(hc *apicontainer.HostConfig, hostResolv []byte, hostGW netip.Addr, hostHosts func() ([]byte, error)) (hosts, resolv []byte) {
	extra := extraHosts(hc.ExtraHosts, hostGW)
	hosts = tugnet.Hosts(extra)
	var dns []string
	for _, a := range hc.DNS {
		dns = append(dns, a.String())
	}
	resolv = tugnet.ResolvConf(hostResolv, tugnet.ResolvConfOptions{
		Nameservers: dns,
		Search:      hc.DNSSearch,
		Options:     hc.DNSOptions,
	})
	if hc.NetworkMode.IsHost() {
		if b, err := hostHosts(); err == nil {
			// The host's, plus --add-host's lines, as Docker does.
			for _, e := range extra {
				b = fmt.Appendf(b, "%s\t%s\n", e.IP, strings.Join(e.Names, " "))
			}
			hosts = b
		}
		if len(hc.DNS) == 0 && len(hostResolv) > 0 {
			resolv = hostResolv
		}
	}
	return hosts, resolv
}

// nsPath is where the network namespace of sandbox id is mounted.
func (n *Controller) nsPath(id string) string { return filepath.Join(n.nsDir, id) }

// NetNSPath is the network namespace of running container c, for a
// container or build step joining it (--network container:c).
func (n *Controller) NetNSPath(c *container.Container) string {
	if usesSandbox(c.HostConfig) {
		return n.nsPath(c.ID)
	}
	return fmt.Sprintf("/proc/%d/ns/net", c.State.Pid)
}

// specOpt returns the spec option putting container id, of network mode
// mode, in its network namespace; joinNS is the namespace of a container
// mode's container (see NetNSPath).
func (n *Controller) specOpt(id string, mode apicontainer.NetworkMode, joinNS string) oci.SpecOpt {
	switch {
	case mode.IsHost():
		return oci.WithHostNetwork()
	case mode.IsNone():
		return oci.WithNetworkNone()
	case mode.IsContainer():
		return oci.WithNetNSPath(joinNS)
	}
	return oci.WithNetNSPath(n.nsPath(id))
}

// Attach gives container c, about to start, its namespace, addresses,
// veths, published ports, rules and, on user networks, its resolver. It
// returns the spec option putting c in its namespace (with
// --network container:X, joinNS, X's namespace: see NetNSPath), its
// /etc/hosts and, on user networks, its /etc/resolv.conf; a container
// without a sandbox of its own (host, none, container:X) gets no files.
// On error everything it did is undone.
func (n *Controller) Attach(ctx context.Context, c *container.Container, joinNS string, lks []Link) (_ Attachment, retErr error) {
	if c.HostConfig.NetworkMode.IsNone() {
		return n.attachNone()
	}
	if !usesSandbox(c.HostConfig) {
		return Attachment{NetNS: n.specOpt(c.ID, c.HostConfig.NetworkMode, joinNS)}, nil
	}
	nsPath := n.nsPath(c.ID)
	reqs, err := tugnet.PortRequests(c.HostConfig.PortBindings, c.Config.ExposedPorts, c.HostConfig.PublishAllPorts)
	if err != nil {
		return Attachment{}, errdefs.InvalidParameter("%s", err.Error())
	}
	var sb tugnet.Sandbox
	var nets map[string]tugnet.Network
	var user bool
	endIPAM := trace.Span("network/ipam")
	err = n.store.Update(func(st *tugnet.State) error {
		s := st.Sandboxes[c.ID]
		if s == nil {
			// Derivable (and so not kept across a machine crash), created
			// before tug had networking, or lost: derive it.
			var err error
			if s, err = deriveSandbox(st, c); err != nil {
				return err
			}
			st.Sandboxes[c.ID] = s
		}
		s.Name, s.Hostname = c.Name, c.Config.Hostname
		s.Ports = nil
		var err error
		if nets, err = allocateSandbox(st, s, nsPath); err != nil {
			return err
		}
		if len(reqs) > 0 && tugnet.PrimaryIP(st, s).IsValid() {
			if err := tugnet.CheckIPv6Ports(st, s, reqs); err != nil {
				return errdefs.InvalidParameter("%s", err.Error())
			}
			others := st.Mappings(c.ID)
			for _, r := range withHostBinding(st, s, reqs) {
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
		user = onUserNetwork(st, s)
		sb = *s
		return linkAddresses(st, lks)
	})
	endIPAM()
	if err != nil {
		n.release(ctx, c.ID)
		return Attachment{}, err
	}
	defer func() {
		if retErr != nil {
			n.Detach(ctx, c.ID)
		}
	}()
	if err := n.plugSandbox(&sb, nets); err != nil {
		return Attachment{}, err
	}
	entries := extraHosts(c.HostConfig.ExtraHosts, n.hostGateway())
	a := Attachment{NetNS: oci.WithNetNSPath(nsPath)}
	for _, l := range lks {
		entries = append(entries, tugnet.HostsEntry{IP: l.Child.IP.String(), Names: links.HostsNames(l.Alias, l.Child)})
		a.LinkEnv = append(a.LinkEnv, links.Env(c.Name, l.Alias, l.Child)...)
	}
	a.Hosts = tugnet.Hosts(append(entries, sandboxHostsEntries(&sb, c.Config.Hostname)...))
	if user {
		hc := n.dnsConfig(c.HostConfig)
		if err := n.startDNS(c.ID, sb.NetNS, upstreams(hc)); err != nil {
			return Attachment{}, fmt.Errorf("embedded DNS: %w", err)
		}
		hostResolv, _ := os.ReadFile("/etc/resolv.conf")
		a.ResolvConf = tugnet.EmbeddedResolvConf(hostResolv, dnsAddress, hc.DNSSearch, hc.DNSOptions)
	}
	return a, nil
}

// attachNone gives a --network none container a namespace of the pool:
// its loopback is up already, and the runtime does not make one while the
// start waits. The container joins it through the daemon's open file
// (/proc/<tugd>/fd/<n>); once its process runs it holds the namespace
// alone, which then ends with it, as a namespace of its own would.
func (n *Controller) attachNone() (Attachment, error) {
	ns, err := n.netns.Take()
	if err != nil {
		return Attachment{}, fmt.Errorf("creating network namespace: %w", err)
	}
	path := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), ns.Fd())
	return Attachment{NetNS: oci.WithNetNSPath(path), Release: func() { ns.Close() }}, nil
}

// AttachBuild gives the RUN step id the network of mode, POST /build's
// networkmode: the default bridge ("", "default", "bridge"), a user
// network by name or ID, "host", "none" (loopback only) or
// "container:<name|id>" (joinNS is then that container's namespace, see
// NetNSPath), as `docker run --network` would. extraHosts (--add-host's
// host:ip) are added to the step's /etc/hosts in every mode.
//
// On a bridge network the step gets a sandbox of its own, recorded in the
// network state under id like a container's (so IPAM sees its address,
// and a daemon that crashed mid-step drops it in Reconcile, as it belongs
// to no container), with a veth and a namespace made by the same code as
// a container's. The returned teardown removes all of it; call it on
// every path once the step's process is gone. On error nothing is left
// and teardown is a no-op.
func (n *Controller) AttachBuild(ctx context.Context, id, mode, joinNS string, extra []string) (Attachment, func(), error) {
	noop := func() {}
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	hostname := id[:12]
	extraEntries := extraHosts(extra, n.hostGateway())
	dnsc := n.dnsConfig(&apicontainer.HostConfig{}) // the daemon's DNS settings
	var servers []string
	for _, a := range dnsc.DNS {
		servers = append(servers, a.String())
	}
	private := Attachment{Hosts: tugnet.Hosts(extraEntries), ResolvConf: tugnet.ResolvConf(hostResolv, tugnet.ResolvConfOptions{
		Nameservers: servers, Search: dnsc.DNSSearch, Options: dnsc.DNSOptions,
	})}
	host := func() Attachment {
		a := Attachment{NetNS: oci.WithHostNetwork(), Hosts: tugnet.Hosts(extraEntries), ResolvConf: hostResolv}
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			for _, e := range extraEntries {
				b = fmt.Appendf(b, "%s\t%s\n", e.IP, strings.Join(e.Names, " "))
			}
			a.Hosts = b
		}
		return a
	}
	switch nm := apicontainer.NetworkMode(mode); {
	case nm.IsHost():
		return host(), noop, nil
	case nm.IsNone():
		private.NetNS = oci.WithNetworkNone()
		return private, noop, nil
	case nm.IsContainer():
		private.NetNS = oci.WithNetNSPath(joinNS)
		return private, noop, nil
	case mode == "", mode == "default":
		mode = tugnet.DefaultNetwork
	}

	var nw tugnet.Network
	var err error
	n.store.View(func(st *tugnet.State) {
		var found *tugnet.Network
		if found, err = st.Network(mode); err == nil {
			nw = *found
		}
	})
	if err != nil {
		return Attachment{}, noop, err
	}
	switch {
	case nw.Driver == "host":
		return host(), noop, nil
	case nw.Bridge == "": // "none", by ID
		private.NetNS = oci.WithNetworkNone()
		return private, noop, nil
	}

	nsPath := n.nsPath(id)
	var sb tugnet.Sandbox
	var nets map[string]tugnet.Network
	var user bool
	err = n.store.Update(func(st *tugnet.State) error {
		if st.Networks[nw.ID] == nil {
			return errdefs.NotFound("network %s not found", mode)
		}
		s := &tugnet.Sandbox{ContainerID: id, Hostname: hostname, Endpoints: []*tugnet.Endpoint{{NetworkID: nw.ID}}, DefaultMode: nw.Default()}
		var err error
		if nets, err = allocateSandbox(st, s, nsPath); err != nil {
			return err
		}
		st.Sandboxes[id] = s
		user = onUserNetwork(st, s)
		sb = *s
		return nil
	})
	if err != nil {
		return Attachment{}, noop, err
	}
	teardown := func() { n.Forget(context.WithoutCancel(ctx), id) }
	ok := false
	defer func() {
		if !ok {
			teardown()
		}
	}()
	if err := n.plugSandbox(&sb, nets); err != nil {
		return Attachment{}, noop, err
	}
	a := Attachment{
		NetNS:      oci.WithNetNSPath(nsPath),
		Hosts:      tugnet.Hosts(append(extraEntries, sandboxHostsEntries(&sb, hostname)...)),
		ResolvConf: private.ResolvConf,
	}
	if user {
		if err := n.startDNS(id, nsPath, upstreams(dnsc)); err != nil {
			return Attachment{}, noop, fmt.Errorf("embedded DNS: %w", err)
		}
		a.ResolvConf = tugnet.EmbeddedResolvConf(hostResolv, dnsAddress, dnsc.DNSSearch, dnsc.DNSOptions)
	}
	ok = true
	return a, teardown, nil
}

// plugSandbox makes the kernel side of sb, allocated by allocateSandbox:
// its namespace, a veth per endpoint (the first one with the default
// route), and the rules. The caller undoes it with Detach, on error too.
func (n *Controller) plugSandbox(sb *tugnet.Sandbox, nets map[string]tugnet.Network) error {
	ns, err := n.netns.Take()
	if err == nil {
		err = bridge.MountNetNS(ns, sb.NetNS)
		ns.Close()
	}
	if err != nil {
		return fmt.Errorf("creating network namespace: %w", err)
	}
	for i, e := range sb.Endpoints {
		nw := nets[e.NetworkID]
		if err := plugEndpoint(sb.NetNS, &nw, e, i == 0); err != nil {
			return err
		}
	}
	endRules := trace.Span("network/rules")
	defer endRules()
	if err := n.applyRules(); err != nil {
		return fmt.Errorf("programming nftables: %w", err)
	}
	return nil
}

// plugEndpoint makes the veth pair of endpoint e on nw in the namespace
// at nsPath; the primary endpoint gets the default route.
func plugEndpoint(nsPath string, nw *tugnet.Network, e *tugnet.Endpoint, primary bool) error {
	mac, _ := net.ParseMAC(e.MAC)
	ep := bridge.Endpoint{Bridge: nw.Bridge, HostVeth: e.HostVeth, NetNS: nsPath, IfName: e.IfName,
		Addr: netip.PrefixFrom(e.IP, nw.Subnet.Bits()), MAC: mac, More: linkLocalPrefixes(e.LinkLocalIPs), MTU: nw.BridgeOptions().MTU}
	if e.IP6.IsValid() {
		ep.More = append([]netip.Prefix{netip.PrefixFrom(e.IP6, nw.Subnet6.Bits())}, ep.More...)
	}
	if primary && !nw.Internal {
		ep.Gateway = nw.Gateway
		if e.IP6.IsValid() {
			ep.Gateway6 = nw.Gateway6
		}
	}
	// The bridge was made when the daemon started or the network was
	// created; made again only when it is found missing or down.
	err := bridge.AddEndpoint(ep)
	if errors.Is(err, bridge.ErrBridgeNotReady) {
		endBr := trace.Span("network/ensure-bridge")
		err = bridge.EnsureBridge(nw.Bridge, nw.BridgeAddr(), nw.BridgeAddr6())
		endBr()
		if err != nil {
			return err
		}
		err = bridge.AddEndpoint(ep)
	}
	if err != nil {
		return fmt.Errorf("network %s: %w", nw.Name, err)
	}
	return nil
}

// linkLocalPrefixes are the interface addresses of --link-local-ip: in
// 169.254.0.0/16 or fe80::/64.
func linkLocalPrefixes(ips []netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	for _, a := range ips {
		bits := 64
		if a.Is4() {
			bits = 16
		}
		out = append(out, netip.PrefixFrom(a, bits))
	}
	return out
}

// Detach removes what Attach (or AttachBuild) made for sandbox id: veths,
// namespace, rules, addresses, resolver. The sandbox's networks stay for
// the next start. Errors are logged: it runs on exit paths.
func (n *Controller) Detach(ctx context.Context, id string) {
	n.detach(ctx, id, false)
}

// detach is Detach; forget also drops the sandbox (its networks) in the
// same store update, one durable write instead of two.
func (n *Controller) detach(ctx context.Context, id string, forget bool) {
	var sb *tugnet.Sandbox
	n.store.View(func(st *tugnet.State) {
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
		if forget {
			n.forget(ctx, id)
		}
		return
	}
	n.stopDNS(id)
	endNS := trace.Span("network/netns-delete")
	if sb.NetNS != "" {
		if err := bridge.DeleteNetNS(sb.NetNS); err != nil {
			slog.WarnContext(ctx, "deleting network namespace", "id", id, "err", err)
		}
	} else {
		_ = bridge.DeleteNetNS(n.nsPath(id))
	}
	endNS()
	// With its namespace gone the kernel destroys the veth pairs itself;
	// deleting them (15-20 ms each, an RCU grace period) is taken off the
	// exit path. Explicit deletion makes sure of it should something still
	// hold the namespace; Reconcile catches what a crash leaves.
	var veths []string
	for _, e := range sb.Endpoints {
		if e.HostVeth != "" {
			veths = append(veths, e.HostVeth)
		}
	}
	if len(veths) > 0 {
		n.vethWG.Add(1)
		go func() {
			defer n.vethWG.Done()
			defer trace.Span("network/veth-delete (background)")()
			for _, v := range veths {
				if err := bridge.DeleteLink(v); err != nil {
					slog.Warn("deleting veth", "id", id, "veth", v, "err", err)
				}
			}
		}()
	}
	endState := trace.Span("network/release")
	if forget {
		n.forget(ctx, id)
	} else {
		n.release(ctx, id)
	}
	endState()
	endRules := trace.Span("network/rules")
	if err := n.applyRules(); err != nil {
		slog.WarnContext(ctx, "programming nftables", "err", err)
	}
	endRules()
}

// release forgets the addresses and ports of sandbox id; the sandbox
// itself (its networks) stays for the next start.
func (n *Controller) release(ctx context.Context, id string) {
	err := n.store.Update(func(st *tugnet.State) error {
		s := st.Sandboxes[id]
		if s == nil {
			return nil
		}
		s.NetNS, s.Ports = "", nil
		for _, e := range s.Endpoints {
			e.ID, e.IP, e.IP6, e.MAC, e.HostVeth, e.IfName = "", netip.Addr{}, netip.Addr{}, "", "", ""
		}
		return nil
	})
	if err != nil {
		slog.WarnContext(ctx, "releasing network addresses", "id", id, "err", err)
	}
}

// Forget detaches sandbox id and forgets its networks (container rm, the
// end of a build step).
func (n *Controller) Forget(ctx context.Context, id string) {
	n.detach(ctx, id, true)
}

// forget drops sandbox id, its addresses and ports with it.
func (n *Controller) forget(ctx context.Context, id string) {
	if err := n.store.Update(func(st *tugnet.State) error {
		delete(st.Sandboxes, id)
		return nil
	}); err != nil {
		slog.WarnContext(ctx, "removing network state", "id", id, "err", err)
	}
}

// Settings is the NetworkSettings of c's inspect document.
func (n *Controller) Settings(c *container.Container) *apicontainer.NetworkSettings {
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
	n.store.View(func(st *tugnet.State) {
		s := st.Sandboxes[c.ID]
		if s == nil {
			var err error
			if s, err = deriveSandbox(st, c); err != nil {
				ns.Networks[string(mode)] = &network.EndpointSettings{}
				return
			}
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
	if e.RequestedIP.IsValid() || e.RequestedIP6.IsValid() || len(e.LinkLocalIPs) > 0 {
		es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: e.RequestedIP, IPv6Address: e.RequestedIP6, LinkLocalIPs: slices.Clone(e.LinkLocalIPs)}
	}
	if mac, err := net.ParseMAC(e.RequestedMAC); err == nil {
		es.MacAddress = network.HardwareAddr(mac)
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
		if e.IP6.IsValid() {
			es.GlobalIPv6Address, es.GlobalIPv6PrefixLen = e.IP6, nw.Subnet6.Bits()
			if !nw.Internal {
				es.IPv6Gateway = nw.Gateway6
			}
		}
		if mac, err := net.ParseMAC(e.MAC); err == nil {
			es.MacAddress = network.HardwareAddr(mac)
		}
	}
	return es
}

// PortSummaries is the Ports of c's `ps` line.
func (n *Controller) PortSummaries(c *container.Container) []apicontainer.PortSummary {
	var ports []tugnet.PortMapping
	n.store.View(func(st *tugnet.State) {
		if s := st.Sandboxes[c.ID]; s != nil {
			ports = slices.Clone(s.Ports)
		}
	})
	return tugnet.PortSummaries(ports, c.Config.ExposedPorts)
}

// SummaryNetworks is the NetworkSettings of c's `ps` line.
func (n *Controller) SummaryNetworks(c *container.Container) map[string]*network.EndpointSettings {
	return n.Settings(c).Networks
}
