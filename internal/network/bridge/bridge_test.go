package bridge

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/tug-project/tug/internal/testutil"
)

// inFreshNetNS runs fn inside a network namespace of its own, so the test
// never touches the host's links.
func inFreshNetNS(t *testing.T, fn func(dir string) error) {
	t.Helper()
	testutil.RequiresRoot(t)
	dir := t.TempDir()
	host := filepath.Join(dir, "host")
	if err := NewNetNS(host); err != nil {
		t.Fatalf("NewNetNS() = %v", err)
	}
	t.Cleanup(func() { _ = DeleteNetNS(host) })
	// fn runs on another goroutine: it reports failures by returning
	// them (t.Fatal there would end that goroutine, not the test).
	if err := InNetNS(host, func() error { return fn(dir) }); err != nil {
		t.Fatal(err)
	}
}

func TestAddEndpointPlugsAVethIntoTheNamespaceOnTheBridge(t *testing.T) {
	inFreshNetNS(t, func(dir string) error {
		gw := netip.MustParsePrefix("10.250.0.1/24")
		gw6 := netip.MustParsePrefix("fd00:250::1/64")
		if err := EnsureBridge("tbtest0", gw, gw6); err != nil {
			return fmt.Errorf("EnsureBridge() = %v", err)
		}
		if err := EnsureBridge("tbtest0", gw, gw6); err != nil {
			return fmt.Errorf("EnsureBridge() again = %v, want it idempotent", err)
		}
		ctr := filepath.Join(dir, "ctr")
		if err := NewNetNS(ctr); err != nil {
			return fmt.Errorf("NewNetNS() = %v", err)
		}
		defer func() { _ = DeleteNetNS(ctr) }()
		mac := net.HardwareAddr{0x02, 0x42, 0x0a, 0xfa, 0x00, 0x02}
		ep := Endpoint{Bridge: "tbtest0", HostVeth: VethPrefix + "test1", NetNS: ctr, IfName: "eth0",
			Addr: netip.MustParsePrefix("10.250.0.2/24"), Gateway: gw.Addr(), MAC: mac,
			More: []netip.Prefix{netip.MustParsePrefix("fd00:250::2/64")}, Gateway6: gw6.Addr()}
		if err := AddEndpoint(ep); err != nil {
			return fmt.Errorf("AddEndpoint() = %v", err)
		}
		if v, err := Veths("tbtest0"); err != nil || !slices.Equal(v, []string{ep.HostVeth}) {
			t.Errorf("Veths() = %v, %v; want [%s]", v, err, ep.HostVeth)
		}
		if host, err := netlink.LinkByName(ep.HostVeth); err != nil || host.Attrs().Flags&net.FlagUp == 0 {
			t.Errorf("host veth %s: %v, want it up", ep.HostVeth, err)
		}
		err := InNetNS(ctr, func() error {
			link, err := netlink.LinkByName("eth0")
			if err != nil {
				return fmt.Errorf("no eth0 in the namespace: %v", err)
			}
			if link.Attrs().Flags&net.FlagUp == 0 {
				t.Errorf("eth0 is down, want it up")
			}
			if lo, err := netlink.LinkByName("lo"); err != nil || lo.Attrs().Flags&net.FlagUp == 0 {
				t.Errorf("lo: %v, want it up", err)
			}
			if link.Attrs().HardwareAddr.String() != mac.String() {
				t.Errorf("eth0 MAC = %s, want %s", link.Attrs().HardwareAddr, mac)
			}
			addrs, _ := netlink.AddrList(link, netlink.FAMILY_V4)
			if len(addrs) != 1 || addrs[0].IPNet.String() != "10.250.0.2/24" {
				t.Errorf("eth0 addresses = %v, want 10.250.0.2/24", addrs)
			}
			routes, _ := netlink.RouteList(link, netlink.FAMILY_V4)
			if !slices.ContainsFunc(routes, func(r netlink.Route) bool { return r.Gw.Equal(net.ParseIP("10.250.0.1")) }) {
				t.Errorf("routes = %v, want a default route via 10.250.0.1", routes)
			}
			addrs6, _ := netlink.AddrList(link, netlink.FAMILY_V6)
			if !slices.ContainsFunc(addrs6, func(a netlink.Addr) bool { return a.IPNet.String() == "fd00:250::2/64" }) {
				t.Errorf("eth0 IPv6 addresses = %v, want fd00:250::2/64", addrs6)
			}
			routes6, _ := netlink.RouteList(link, netlink.FAMILY_V6)
			if !slices.ContainsFunc(routes6, func(r netlink.Route) bool { return r.Gw.Equal(net.ParseIP("fd00:250::1")) }) {
				t.Errorf("IPv6 routes = %v, want a default route via fd00:250::1", routes6)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := DeleteLink(ep.HostVeth); err != nil {
			return fmt.Errorf("DeleteLink() = %v", err)
		}
		if v, _ := Veths("tbtest0"); len(v) != 0 {
			t.Errorf("Veths() after DeleteLink = %v, want none", v)
		}
		if err := DeleteBridge("tbtest0"); err != nil || Exists("tbtest0") {
			t.Errorf("DeleteBridge() = %v, exists %v; want it gone", err, Exists("tbtest0"))
		}
		return nil
	})
}

func TestAddEndpointThatFailsLeavesNoVeth(t *testing.T) {
	inFreshNetNS(t, func(dir string) error {
		if err := EnsureBridge("tbtest1", netip.MustParsePrefix("10.251.0.1/24"), netip.Prefix{}); err != nil {
			return fmt.Errorf("EnsureBridge() = %v", err)
		}
		ctr := filepath.Join(dir, "ctr")
		if err := NewNetNS(ctr); err != nil {
			return fmt.Errorf("NewNetNS() = %v", err)
		}
		defer func() { _ = DeleteNetNS(ctr) }()
		// "lo" exists in every namespace: making the peer under that name
		// there fails.
		ep := Endpoint{Bridge: "tbtest1", HostVeth: VethPrefix + "test2", NetNS: ctr, IfName: "lo",
			Addr: netip.MustParsePrefix("10.251.0.2/24")}
		if err := AddEndpoint(ep); err == nil {
			return fmt.Errorf("AddEndpoint() with a taken interface name = nil, want an error")
		}
		if Exists(ep.HostVeth) {
			t.Errorf("host veth %s left behind after a failed AddEndpoint()", ep.HostVeth)
		}
		return nil
	})
}

func TestEnsureBridgeRefusesALinkThatIsNotABridge(t *testing.T) {
	inFreshNetNS(t, func(string) error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "tbveth0"}, PeerName: "tbveth1"}
		if err := netlink.LinkAdd(veth); err != nil {
			return fmt.Errorf("adding a veth pair: %v", err)
		}
		if err := EnsureBridge("tbveth0", netip.MustParsePrefix("10.252.0.1/24"), netip.Prefix{}); err == nil {
			t.Error("EnsureBridge() on a veth = nil, want an error")
		}
		return nil
	})
}

// AddEndpoint on a bridge that is missing or down says so with
// ErrBridgeNotReady (the controller then makes it again) and leaves no
// veth.
func TestAddEndpointOnAMissingOrDownBridgeIsNotReady(t *testing.T) {
	inFreshNetNS(t, func(dir string) error {
		ctr := filepath.Join(dir, "ctr")
		if err := NewNetNS(ctr); err != nil {
			return fmt.Errorf("NewNetNS() = %v", err)
		}
		defer func() { _ = DeleteNetNS(ctr) }()
		ep := Endpoint{Bridge: "tbtest2", HostVeth: VethPrefix + "test3", NetNS: ctr, IfName: "eth0",
			Addr: netip.MustParsePrefix("10.253.0.2/24")}
		if err := AddEndpoint(ep); !errors.Is(err, ErrBridgeNotReady) {
			t.Errorf("AddEndpoint() on a missing bridge = %v, want ErrBridgeNotReady", err)
		}
		if err := EnsureBridge("tbtest2", netip.MustParsePrefix("10.253.0.1/24"), netip.Prefix{}); err != nil {
			return fmt.Errorf("EnsureBridge() = %v", err)
		}
		br, err := netlink.LinkByName("tbtest2")
		if err != nil {
			return err
		}
		if err := netlink.LinkSetDown(br); err != nil {
			return err
		}
		if err := AddEndpoint(ep); !errors.Is(err, ErrBridgeNotReady) {
			t.Errorf("AddEndpoint() on a bridge that is down = %v, want ErrBridgeNotReady", err)
		}
		if Exists(ep.HostVeth) {
			t.Errorf("host veth %s left behind", ep.HostVeth)
		}
		if err := EnsureBridge("tbtest2", netip.MustParsePrefix("10.253.0.1/24"), netip.Prefix{}); err != nil {
			return fmt.Errorf("EnsureBridge() = %v", err)
		}
		if err := AddEndpoint(ep); err != nil {
			t.Errorf("AddEndpoint() after EnsureBridge() = %v", err)
		}
		return DeleteBridge("tbtest2")
	})
}
