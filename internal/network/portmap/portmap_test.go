package portmap

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/testutil"
)

func TestReserve(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	none := func(uint16) bool { return false }

	// Ephemeral: any free port that tug does not hold.
	p, err := Reserve(network.PortRequest{Proto: "tcp", HostIP: lo}, none)
	if err != nil || p == 0 {
		t.Fatalf("Reserve(ephemeral) = %d, %v; want a port", p, err)
	}

	// A port bound by another process is skipped within a range and
	// refused when fixed.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := uint16(l.Addr().(*net.TCPAddr).Port)
	if _, err := Reserve(network.PortRequest{Proto: "tcp", HostIP: lo, HostLow: busy, HostHigh: busy}, none); !errors.Is(err, ErrPortAllocated) ||
		!strings.Contains(err.Error(), "Bind for 127.0.0.1:") {
		t.Errorf("Reserve(a port in use) = %v; want ErrPortAllocated naming the address", err)
	}

	// A port tug already maps is skipped within a range and refused when
	// fixed, without a probe.
	free := uint16(testutil.FreePort(t, "udp"))
	mine := func(p uint16) bool { return p == free }
	if _, err := Reserve(network.PortRequest{Proto: "udp", HostIP: lo, HostLow: free, HostHigh: free}, mine); !errors.Is(err, ErrPortAllocated) {
		t.Errorf("Reserve(a port tug maps) = %v, want ErrPortAllocated", err)
	}
	if free < 65535 {
		got, err := Reserve(network.PortRequest{Proto: "udp", HostIP: lo, HostLow: free, HostHigh: free + 1}, mine)
		if err != nil && !errors.Is(err, ErrPortAllocated) {
			t.Fatalf("Reserve(range) = %v", err)
		}
		if err == nil && got != free+1 {
			t.Errorf("Reserve(%d-%d with %d taken) = %d, want %d", free, free+1, free, got, free+1)
		}
	}
}

// TestApplyRulesDelete applies rule sets to a table in a fresh network
// namespace and reads them back: one DNAT rule per published port in
// prerouting and output, replaced whole by the next Apply, gone after
// Delete.
func TestApplyRulesDelete(t *testing.T) {
	testutil.RequiresRoot(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// This thread enters the new namespace and is never unlocked: it
		// ends with the goroutine, and the namespace with it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			t.Errorf("unshare(CLONE_NEWNET): %v", err)
			return
		}
		applyRulesDelete(t)
	}()
	<-done
}

func applyRulesDelete(t *testing.T) {
	const table = "tug-test"
	ctr := netip.MustParseAddr("172.30.0.2")
	port := func(proto string, host, ctrPort uint16) network.PortRule {
		return network.PortRule{ContainerIP: ctr,
			PortMapping: network.PortMapping{Proto: proto, HostPort: host, ContainerPort: ctrPort}}
	}
	bridge := network.BridgeRules{Bridge: "tugtest0", Subnet: netip.MustParsePrefix("172.30.0.0/16")}
	bridge6 := network.BridgeRules{Bridge: "tugtest1", Subnet: netip.MustParsePrefix("172.31.0.0/16"), Subnet6: netip.MustParsePrefix("fd00:7567::/64")}
	port6 := port("tcp", 8082, 80)
	port6.ContainerIP6 = netip.MustParseAddr("fd00:7567::2")
	steps := []struct {
		rs    network.Ruleset
		dnat  int
		dnat6 int // -1: no ip6 table
	}{
		{network.Ruleset{Bridges: []network.BridgeRules{bridge}, Ports: []network.PortRule{port("tcp", 8080, 80), port("udp", 5353, 53)}}, 2, -1},
		{network.Ruleset{Bridges: []network.BridgeRules{bridge, bridge6}, Ports: []network.PortRule{port("tcp", 8081, 80), port6}}, 2, 1},
		{network.Ruleset{Bridges: []network.BridgeRules{bridge}}, 0, -1},
	}
	for i, s := range steps {
		if err := Apply(table, s.rs); err != nil {
			t.Errorf("step %d: Apply() = %v", i, err)
			return
		}
		got, err := Rules(table)
		if err != nil {
			t.Errorf("step %d: Rules() = %v", i, err)
			return
		}
		for _, chain := range []string{"prerouting", "output"} {
			if n, ok := got[chain]; !ok || n != s.dnat {
				t.Errorf("step %d: %s has %d rules (chain there: %v), want %d; all: %v", i, chain, n, ok, s.dnat, got)
			}
		}
		for _, chain := range []string{"postrouting", "forward"} {
			if _, ok := got[chain]; !ok {
				t.Errorf("step %d: no %s chain; chains: %v", i, chain, got)
			}
		}
		if n, ok := got["ip6 prerouting"]; s.dnat6 < 0 && ok || s.dnat6 >= 0 && n != s.dnat6 {
			t.Errorf("step %d: ip6 prerouting has %d rules (there: %v), want %d (-1: no ip6 table)", i, n, ok, s.dnat6)
		}
	}
	if err := Delete(table); err != nil {
		t.Errorf("Delete() = %v", err)
		return
	}
	if got, err := Rules(table); err != nil || got != nil {
		t.Errorf("Rules() after Delete = %v, %v; want nil", got, err)
	}
}
