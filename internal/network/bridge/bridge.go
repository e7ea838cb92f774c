package bridge

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/trace"
)

// VethPrefix starts the name of every host-side veth tug creates.
const VethPrefix = "tugv"

// EnsureBridge creates the bridge name (if missing) with address gw (the
// gateway in its subnet; none when gw is invalid) and, on IPv6 networks,
// gw6, brings it up, and enables what published ports from 127.0.0.1 and
// outbound traffic need: route_localnet on the bridge and IPv4 (and with
// gw6 IPv6) forwarding.
func EnsureBridge(name string, gw, gw6 netip.Prefix) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			return fmt.Errorf("bridge %s: %w", name, err)
		}
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, TxQLen: -1}}
		if err := netlink.LinkAdd(br); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("creating bridge %s: %w", name, err)
		}
		if link, err = netlink.LinkByName(name); err != nil {
			return fmt.Errorf("bridge %s: %w", name, err)
		}
	}
	if _, ok := link.(*netlink.Bridge); !ok {
		return fmt.Errorf("%s exists and is not a bridge", name)
	}
	addrs, err := dump(func() ([]netlink.Addr, error) { return netlink.AddrList(link, netlink.FAMILY_V4) })
	if err != nil {
		return err
	}
	have := false
	for _, a := range addrs {
		if p, ok := prefixOf(a.IPNet); ok && p == gw {
			have = true
			continue
		}
		_ = netlink.AddrDel(link, &a) // a stale address from an earlier subnet
	}
	if !have && gw.IsValid() {
		if err := netlink.AddrAdd(link, &netlink.Addr{IPNet: ipNet(gw)}); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("address %s on %s: %w", gw, name, err)
		}
	}
	if gw6.IsValid() {
		if err := ensureAddr6(link, gw6); err != nil {
			return fmt.Errorf("address %s on %s: %w", gw6, name, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return err
	}
	if err := sysctl("net/ipv4/conf/"+name+"/route_localnet", "1"); err != nil {
		return err
	}
	if gw6.IsValid() {
		if err := sysctl("net/ipv6/conf/all/forwarding", "1"); err != nil {
			return err
		}
	}
	return sysctl("net/ipv4/ip_forward", "1")
}

// ensureAddr6 gives link the global IPv6 address gw6 (without duplicate
// address detection: it is tug's to give) and drops other global ones.
func ensureAddr6(link netlink.Link, gw6 netip.Prefix) error {
	if err := sysctl("net/ipv6/conf/"+link.Attrs().Name+"/disable_ipv6", "0"); err != nil {
		return err
	}
	addrs, err := dump(func() ([]netlink.Addr, error) { return netlink.AddrList(link, netlink.FAMILY_V6) })
	if err != nil {
		return err
	}
	for _, a := range addrs {
		p, ok := prefixOf(a.IPNet)
		if !ok || p.Addr().IsLinkLocalUnicast() {
			continue
		}
		if p == gw6 {
			return nil
		}
		_ = netlink.AddrDel(link, &a)
	}
	if err := netlink.AddrAdd(link, &netlink.Addr{IPNet: ipNet(gw6), Flags: unix.IFA_F_NODAD}); err != nil && !errors.Is(err, unix.EEXIST) {
		return err
	}
	return nil
}

// IPv6Available reports why this host cannot give containers IPv6, or nil.
func IPv6Available() error {
	if _, err := os.Stat("/proc/sys/net/ipv6/conf/all/forwarding"); err != nil {
		return fmt.Errorf("this host's kernel has no IPv6 (no /proc/sys/net/ipv6: built without it, or booted with ipv6.disable=1)")
	}
	return nil
}

// DeleteBridge removes the bridge name; a missing bridge is not an error.
func DeleteBridge(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return nil
	}
	return netlink.LinkDel(link)
}

// Exists reports whether a link called name exists.
func Exists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

// Routes returns the destinations of the host's IPv4 routes, other than
// the default route, in the main table: the subnets a new network must
// not collide with. Routes through the links named in exclude are left out.
func Routes(exclude ...string) ([]netip.Prefix, error) {
	skip := map[int]bool{}
	for _, name := range exclude {
		if l, err := netlink.LinkByName(name); err == nil {
			skip[l.Attrs().Index] = true
		}
	}
	routes, err := dump(func() ([]netlink.Route, error) { return netlink.RouteList(nil, netlink.FAMILY_V4) })
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, r := range routes {
		if r.Dst == nil || skip[r.LinkIndex] {
			continue
		}
		if p, ok := prefixOf(r.Dst); ok && p.Bits() > 0 {
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// Endpoint is one veth pair to set up: HostVeth is enslaved to Bridge,
// the peer is moved into the namespace NetNS and configured there.
type Endpoint struct {
	Bridge   string
	HostVeth string
	NetNS    string // path of the namespace file
	IfName   string // name inside the namespace, eth0
	Addr     netip.Prefix
	Gateway  netip.Addr     // default route via, when valid
	More     []netip.Prefix // further addresses: IPv6, link-local ones
	Gateway6 netip.Addr     // IPv6 default route via, when valid
	MAC      net.HardwareAddr
	MTU      int // 0: the bridge's
}

// ErrBridgeNotReady is AddEndpoint's error when the bridge is missing or
// down: the caller makes it again (EnsureBridge) and retries.
var ErrBridgeNotReady = errors.New("bridge missing or down")

// AddEndpoint creates the veth pair of ep: the host side enslaved to the
// bridge and up, the peer made in the namespace under its final name, so
// that what is left to do there is its address, its state and its routes.
// On error nothing is left.
func AddEndpoint(ep Endpoint) (retErr error) {
	br, err := netlink.LinkByName(ep.Bridge)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return fmt.Errorf("bridge %s: %w", ep.Bridge, ErrBridgeNotReady)
		}
		return fmt.Errorf("bridge %s: %w", ep.Bridge, err)
	}
	if br.Attrs().Flags&net.FlagUp == 0 {
		return fmt.Errorf("bridge %s: %w", ep.Bridge, ErrBridgeNotReady)
	}
	ns, err := netns.GetFromPath(ep.NetNS)
	if err != nil {
		return fmt.Errorf("network namespace %s: %w", ep.NetNS, err)
	}
	defer ns.Close()
	mtu := ep.MTU
	if mtu == 0 {
		mtu = br.Attrs().MTU
	}
	endAdd := trace.Span("network/veth-add")
	err = addVeth(ep, br.Attrs().Index, mtu, ns)
	endAdd()
	if err != nil {
		return fmt.Errorf("creating veth %s: %w", ep.HostVeth, err)
	}
	defer func() {
		if retErr != nil {
			_ = DeleteLink(ep.HostVeth)
		}
	}()
	endHandle := trace.Span("network/ns-handle")
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	endHandle()
	defer trace.Span("network/ns-config")()
	link, err := h.LinkByName(ep.IfName)
	if err != nil {
		return fmt.Errorf("veth peer in namespace: %w", err)
	}
	if err := h.AddrAdd(link, &netlink.Addr{IPNet: ipNet(ep.Addr)}); err != nil {
		return fmt.Errorf("address %s: %w", ep.Addr, err)
	}
	for _, a := range ep.More {
		// No duplicate address detection: the address is tug's to give,
		// and a tentative address could not be used for a second or two.
		if err := h.AddrAdd(link, &netlink.Addr{IPNet: ipNet(a), Flags: unix.IFA_F_NODAD}); err != nil {
			return fmt.Errorf("address %s: %w", a, err)
		}
	}
	if err := h.LinkSetUp(link); err != nil {
		return err
	}
	if ep.Gateway.IsValid() {
		gw := net.IP(ep.Gateway.AsSlice())
		if err := h.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Gw: gw}); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("default route via %s: %w", ep.Gateway, err)
		}
	}
	if ep.Gateway6.IsValid() {
		gw := net.IP(ep.Gateway6.AsSlice())
		if err := h.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Gw: gw}); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("IPv6 default route via %s: %w", ep.Gateway6, err)
		}
	}
	return nil
}

// addVeth creates the veth pair of ep in one RTM_NEWLINK: the host side
// named ep.HostVeth, up, enslaved to the bridge masterIndex; the peer
// made in the namespace ns under its final name ep.IfName, with ep.MAC.
// (netlink.LinkAdd would look the new link up and enslave it in two more
// requests: it does not send IFLA_MASTER with the creation, which the
// kernel has taken since 3.x.)
func addVeth(ep Endpoint, masterIndex, mtu int, ns netns.NsHandle) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(ep.HostVeth)))
	if mtu > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(mtu))))
	}
	req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(masterIndex))))
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(ep.IfName))
	if mtu > 0 {
		peer.AddRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(mtu)))
	}
	if ep.MAC != nil {
		peer.AddRtAttr(unix.IFLA_ADDRESS, []byte(ep.MAC))
	}
	peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(ns)))
	req.AddData(info)
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// DeleteLink removes the link name; a missing link is not an error.
func DeleteLink(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return nil
	}
	if err := netlink.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("deleting %s: %w", name, err)
	}
	return nil
}

// Veths returns the names of the host-side veths enslaved to bridge.
func Veths(bridge string) ([]string, error) {
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return nil, nil
	}
	links, err := dump(netlink.LinkList)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range links {
		if l.Attrs().MasterIndex == br.Attrs().Index && l.Type() == "veth" {
			out = append(out, l.Attrs().Name)
		}
	}
	return out, nil
}

// NewNetNS creates a network namespace, its loopback up, and bind-mounts
// it at path (see NetNSPool for one made ahead).
func NewNetNS(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	ns, err := makeNetNS(false)
	if err != nil {
		return err
	}
	defer ns.Close()
	return MountNetNS(ns, path)
}

// DeleteNetNS unmounts and removes the namespace file at path; a missing
// file is not an error.
func DeleteNetNS(path string) error {
	endUnmount := trace.Span("network/netns-unmount")
	err := unix.Unmount(path, unix.MNT_DETACH)
	endUnmount()
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// InNetNS runs fn on a thread inside the namespace at path. The thread is
// discarded afterwards.
func InNetNS(path string, fn func() error) error {
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return err
	}
	defer ns.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

func sysctl(key, val string) error {
	p := "/proc/sys/" + key
	if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) == val {
		return nil
	}
	return os.WriteFile(p, []byte(val), 0o644)
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// dump runs a netlink dump, again when the kernel dropped part of its
// answer (ENOBUFS: the socket's receive queue overflowed under a burst of
// changes) or the dump was interrupted by a change (NLM_F_DUMP_INTR): both
// are transient, and a fresh dump is consistent.
func dump[T any](fn func() (T, error)) (T, error) {
	var out T
	var err error
	for range 10 {
		out, err = fn()
		if !errors.Is(err, unix.ENOBUFS) && !errors.Is(err, netlink.ErrDumpInterrupted) {
			return out, err
		}
	}
	return out, err
}
