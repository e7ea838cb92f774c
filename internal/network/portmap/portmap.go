package portmap

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/network"
)

// Apply replaces the nftables table named table with the rules of rs, in
// one atomic transaction: the old table and the new never mix. IPv6
// networks get the same rules in the ip6 table of the same name, in the
// same transaction; without any, that table is removed.
func Apply(table string, rs network.Ruleset) error {
	c, err := newConn()
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: table}
	// Add before delete, so the delete cannot fail on a missing table.
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	accept := nftables.ChainPolicyAccept
	pre := c.AddChain(&nftables.Chain{Name: "prerouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest})
	out := c.AddChain(&nftables.Chain{Name: "output", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest})
	post := c.AddChain(&nftables.Chain{Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
	fwd := c.AddChain(&nftables.Chain{Name: "forward", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	add := func(ch *nftables.Chain, exprs ...expr.Any) {
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: exprs})
	}

	hairpin := map[string]bool{}
	for _, p := range rs.Ports {
		if p.HostIP.Is6() {
			continue // published on IPv6 only: apply6
		}
		match := portMatch(p)
		dnat := []expr.Any{
			&expr.Immediate{Register: 1, Data: ip4(p.ContainerIP)},
			&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(p.ContainerPort)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
		}
		add(pre, append(match, dnat...)...)
		add(out, append(match, dnat...)...)
		// Hairpin: a container reaching its own published port.
		key := p.ContainerIP.String() + "/" + p.Proto + "/" + strconv.Itoa(int(p.ContainerPort))
		if hairpin[key] {
			continue
		}
		hairpin[key] = true
		add(post, append(append(saddr(netip.PrefixFrom(p.ContainerIP, 32)), daddr(p.ContainerIP)...),
			append(l4(p.Proto, p.ContainerPort), &expr.Masq{})...)...)
	}
	for _, b := range rs.Bridges {
		// Loopback-sourced traffic DNATed onto the bridge leaves with the
		// bridge's address (needs route_localnet on the bridge).
		add(post, append(append(oif(b.Bridge, true), saddr(netip.MustParsePrefix("127.0.0.0/8"))...), &expr.Masq{})...)
		if !b.Internal && !b.NoMasquerade {
			add(post, append(append(saddr(b.Subnet), oif(b.Bridge, false)...), &expr.Masq{})...)
		}
		for _, r := range forwardRules(b, rs.Bridges) {
			add(fwd, r...)
		}
	}
	t6 := &nftables.Table{Family: nftables.TableFamilyIPv6, Name: table}
	c.AddTable(t6)
	c.DelTable(t6)
	if needsIPv6(rs) {
		c.AddTable(t6)
		apply6(c, t6, rs)
	}
	return c.Flush()
}

func needsIPv6(rs network.Ruleset) bool {
	for _, b := range rs.Bridges {
		if b.Subnet6.IsValid() {
			return true
		}
	}
	return false
}

// apply6 adds the IPv6 rules of rs to t6: DNAT of the ports published on
// IPv6 to the containers' IPv6 addresses, masquerade of the IPv6 subnets
// going elsewhere, and the same isolation of the networks as for IPv4
// (the forward hook of the ip table sees no IPv6 packet).
func apply6(c *nftables.Conn, t6 *nftables.Table, rs network.Ruleset) {
	accept := nftables.ChainPolicyAccept
	pre := c.AddChain(&nftables.Chain{Name: "prerouting", Table: t6, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest})
	out := c.AddChain(&nftables.Chain{Name: "output", Table: t6, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest})
	post := c.AddChain(&nftables.Chain{Name: "postrouting", Table: t6, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
	fwd := c.AddChain(&nftables.Chain{Name: "forward", Table: t6, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	add := func(ch *nftables.Chain, exprs ...expr.Any) {
		c.AddRule(&nftables.Rule{Table: t6, Chain: ch, Exprs: exprs})
	}
	hairpin := map[string]bool{}
	for _, p := range rs.Ports {
		if !p.ContainerIP6.IsValid() {
			continue
		}
		var match []expr.Any
		if p.HostIP.Is4() {
			continue // published on one IPv4 address only
		}
		if p.HostIP.IsValid() && !p.HostIP.IsUnspecified() {
			match = daddr6(p.HostIP)
		} else {
			match = []expr.Any{
				&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
			}
		}
		match = append(match, l4(p.Proto, p.HostPort)...)
		dnat := []expr.Any{
			&expr.Immediate{Register: 1, Data: p.ContainerIP6.AsSlice()},
			&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(p.ContainerPort)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV6, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
		}
		add(pre, append(match, dnat...)...)
		add(out, append(match, dnat...)...)
		key := p.ContainerIP6.String() + "/" + p.Proto + "/" + strconv.Itoa(int(p.ContainerPort))
		if hairpin[key] {
			continue
		}
		hairpin[key] = true
		add(post, append(append(saddr6(netip.PrefixFrom(p.ContainerIP6, 128)), daddr6(p.ContainerIP6)...),
			append(l4(p.Proto, p.ContainerPort), &expr.Masq{})...)...)
	}
	for _, b := range rs.Bridges {
		if b.Subnet6.IsValid() && !b.Internal && !b.NoMasquerade {
			add(post, append(append(saddr6(b.Subnet6), oif(b.Bridge, false)...), &expr.Masq{})...)
		}
		for _, r := range forwardRules(b, rs.Bridges) {
			add(fwd, r...)
		}
	}
}

// forwardRules are the forward-chain drops of network b among all, the
// same in both families: no traffic between its containers without ICC,
// none in or out of an internal network, none to other networks.
func forwardRules(b network.BridgeRules, all []network.BridgeRules) [][]expr.Any {
	drop := func(in, out []expr.Any) []expr.Any {
		return append(append(append([]expr.Any{}, in...), out...), verdict(expr.VerdictDrop))
	}
	var rules [][]expr.Any
	if b.NoICC {
		rules = append(rules, drop(iif(b.Bridge, true), oif(b.Bridge, true)))
	}
	if b.Internal {
		return append(rules, drop(iif(b.Bridge, true), oif(b.Bridge, false)), drop(oif(b.Bridge, true), iif(b.Bridge, false)))
	}
	for _, o := range all {
		if o.Bridge != b.Bridge {
			rules = append(rules, drop(iif(b.Bridge, true), oif(o.Bridge, true)))
		}
	}
	return rules
}

func saddr6(p netip.Prefix) []expr.Any {
	mask := net.CIDRMask(p.Bits(), 128)
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 8, Len: 16},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 16, Mask: mask, Xor: make([]byte, 16)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p.Masked().Addr().AsSlice()},
	}
}

func daddr6(a netip.Addr) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 24, Len: 16},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a.AsSlice()},
	}
}

// Delete removes the table; a missing table is not an error.
func Delete(table string) error {
	c, err := newConn()
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	for _, f := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		t := &nftables.Table{Family: f, Name: table}
		c.AddTable(t)
		c.DelTable(t)
	}
	return c.Flush()
}

// Rules returns the number of rules in each chain of the table (nil when
// the table does not exist in either family), for leak checks: the ip
// table's chains by name, the ip6 table's as "ip6 <name>".
func Rules(table string) (map[string]int, error) {
	c, err := newConn()
	if err != nil {
		return nil, err
	}
	defer c.CloseLasting()
	var out map[string]int
	for f, prefix := range map[nftables.TableFamily]string{nftables.TableFamilyIPv4: "", nftables.TableFamilyIPv6: "ip6 "} {
		t := &nftables.Table{Family: f, Name: table}
		chains, err := c.ListChainsOfTableFamily(f)
		if err != nil {
			return nil, err
		}
		for _, ch := range chains {
			if ch.Table.Name != table {
				continue
			}
			if out == nil {
				out = map[string]int{}
			}
			rules, err := c.GetRules(t, ch)
			if err != nil {
				return nil, err
			}
			out[prefix+ch.Name] = len(rules)
		}
	}
	return out, nil
}

func portMatch(p network.PortRule) []expr.Any {
	var e []expr.Any
	if p.HostIP.IsValid() {
		e = daddr(p.HostIP)
	} else {
		// Any local address of the host (addrtype LOCAL), not traffic
		// passing through to other hosts.
		e = []expr.Any{
			&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
		}
	}
	return append(e, l4(p.Proto, p.HostPort)...)
}

func l4(proto string, dport uint16) []expr.Any {
	n := byte(unix.IPPROTO_TCP)
	if proto == "udp" {
		n = unix.IPPROTO_UDP
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{n}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(dport)},
	}
}

func saddr(p netip.Prefix) []expr.Any {
	mask := net.CIDRMask(p.Bits(), 32)
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ip4(p.Masked().Addr())},
	}
}

func daddr(a netip.Addr) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ip4(a)},
	}
}

func iif(name string, eq bool) []expr.Any { return ifname(expr.MetaKeyIIFNAME, name, eq) }
func oif(name string, eq bool) []expr.Any { return ifname(expr.MetaKeyOIFNAME, name, eq) }

func ifname(key expr.MetaKey, name string, eq bool) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	op := expr.CmpOpEq
	if !eq {
		op = expr.CmpOpNeq
	}
	return []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: op, Register: 1, Data: b}}
}

func verdict(k expr.VerdictKind) expr.Any { return &expr.Verdict{Kind: k} }

func ip4(a netip.Addr) []byte {
	b := a.Unmap().As4()
	return b[:]
}

// ErrPortAllocated is returned when a host port is taken.
var ErrPortAllocated = errors.New("port is already allocated")

// Reserve picks a host port for req: the fixed port, the first free one of
// its range, or an ephemeral one, checking each candidate against taken
// (tug's own mappings) and by binding it on the host. The check is a
// probe: the port is released again, the DNAT rule serves it.
func Reserve(req network.PortRequest, taken func(port uint16) bool) (uint16, error) {
	if req.HostLow == 0 {
		for range 64 {
			p, err := bindProbe(req.Proto, req.HostIP, 0)
			if err != nil {
				return 0, err
			}
			if !taken(p) {
				return p, nil
			}
		}
		return 0, fmt.Errorf("no free ephemeral port for %s", req.Proto)
	}
	var lastErr error
	for p := int(req.HostLow); p <= int(req.HostHigh); p++ {
		if taken(uint16(p)) {
			lastErr = ErrPortAllocated
			continue
		}
		if _, err := bindProbe(req.Proto, req.HostIP, uint16(p)); err != nil {
			lastErr = err
			continue
		}
		return uint16(p), nil
	}
	host := "0.0.0.0"
	if req.HostIP.Is6() {
		host = "[" + req.HostIP.String() + "]"
	} else if req.HostIP.IsValid() {
		host = req.HostIP.String()
	}
	port := strconv.Itoa(int(req.HostLow))
	if req.HostHigh != req.HostLow {
		port += "-" + strconv.Itoa(int(req.HostHigh))
	}
	if errors.Is(lastErr, unix.EADDRINUSE) || errors.Is(lastErr, ErrPortAllocated) {
		return 0, fmt.Errorf("Bind for %s:%s failed: %w", host, port, ErrPortAllocated)
	}
	return 0, fmt.Errorf("Bind for %s:%s failed: %w", host, port, lastErr)
}

// bindProbe binds proto on ip:port (0 = any free port) and releases it,
// returning the port bound.
func bindProbe(proto string, ip netip.Addr, port uint16) (uint16, error) {
	host := ""
	if ip.IsValid() {
		host = ip.String()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
	family := "4"
	if ip.Is6() {
		family = "6"
	}
	if proto == "udp" {
		c, err := net.ListenPacket("udp"+family, addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return uint16(c.LocalAddr().(*net.UDPAddr).Port), nil
	}
	l, err := net.Listen("tcp"+family, addr)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}
