package dns

import (
	"net"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

type fakeLookup map[string]netip.Addr

func (f fakeLookup) Addrs(name string) []netip.Addr {
	if a, ok := f[name]; ok {
		return []netip.Addr{a}
	}
	return nil
}

func (f fakeLookup) Name(addr netip.Addr) (string, bool) {
	for n, a := range f {
		if a == addr {
			return n, true
		}
	}
	return "", netip.MustParsePrefix("172.30.0.0/16").Contains(addr)
}

// serve starts a server on loopback and returns its address.
func serve(t *testing.T, lookup Lookup, upstreams []string) string {
	t.Helper()
	// TCP on the UDP socket's port: a port free for UDP may be taken for
	// TCP, so another pick is tried then.
	var pc net.PacketConn
	var l net.Listener
	for try := 0; l == nil; try++ {
		var err error
		if pc, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if l, err = net.Listen("tcp4", pc.LocalAddr().String()); err != nil {
			pc.Close()
			if try == 10 {
				t.Fatal(err)
			}
		}
	}
	s := Serve(pc, l, lookup, upstreams)
	t.Cleanup(s.Close)
	return pc.LocalAddr().String()
}

func TestServer(t *testing.T) {
	// The upstream: a resolver on loopback that knows ext.test.
	up := serve(t, fakeLookup{"ext.test": netip.MustParseAddr("10.1.2.3")}, nil)
	addr := serve(t, fakeLookup{"web": netip.MustParseAddr("172.30.1.2")}, []string{up})

	tests := []struct {
		name  string
		qtype uint16
		rcode int
		want  string
	}{
		{"web.", dns.TypeA, dns.RcodeSuccess, "172.30.1.2"},
		{"WEB.", dns.TypeA, dns.RcodeSuccess, "172.30.1.2"},
		{"web.", dns.TypeAAAA, dns.RcodeSuccess, ""},
		{"ext.test.", dns.TypeA, dns.RcodeSuccess, "10.1.2.3"},
		{"2.1.30.172.in-addr.arpa.", dns.TypePTR, dns.RcodeSuccess, "web."},
		{"9.1.30.172.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError, ""},
		{"nothing.test.", dns.TypeA, dns.RcodeServerFailure, ""},
	}
	for _, tt := range tests {
		for _, network := range []string{"udp", "tcp"} {
			m := new(dns.Msg)
			m.SetQuestion(tt.name, tt.qtype)
			resp, _, err := (&dns.Client{Net: network}).Exchange(m, addr)
			if err != nil {
				t.Fatalf("%s %s over %s: %v", tt.name, dns.TypeToString[tt.qtype], network, err)
			}
			got := ""
			if len(resp.Answer) > 0 {
				switch rr := resp.Answer[0].(type) {
				case *dns.A:
					got = rr.A.String()
				case *dns.PTR:
					got = rr.Ptr
				}
			}
			if resp.Rcode != tt.rcode || got != tt.want {
				t.Errorf("%s %s over %s = %s %q, want %s %q", tt.name, dns.TypeToString[tt.qtype], network,
					dns.RcodeToString[resp.Rcode], got, dns.RcodeToString[tt.rcode], tt.want)
			}
		}
	}
}
