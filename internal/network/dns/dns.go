package dns

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Address is where the server listens inside a container.
const Address = "127.0.0.11"

// Lookup answers a name (lower case, without the trailing dot) with the
// addresses of the containers it names; local is true when the name (or,
// for reverse lookups, the address) is tug's to answer even without
// addresses, so it must not be forwarded.
type Lookup interface {
	Addrs(name string) []netip.Addr
	// Name returns the container name of an address on tug's networks,
	// and whether the address belongs to tug at all.
	Name(addr netip.Addr) (name string, local bool)
}

// Server serves one container's resolver.
type Server struct {
	udp, tcp *dns.Server
	wg       sync.WaitGroup
}

// Serve answers on pc (UDP) and l (TCP) until Close. upstreams are
// "ip" or "ip:port" resolvers tried in order for names Lookup does not know.
func Serve(pc net.PacketConn, l net.Listener, lookup Lookup, upstreams []string) *Server {
	h := &handler{lookup: lookup, upstreams: upstreams}
	s := &Server{
		udp: &dns.Server{PacketConn: pc, Handler: h},
		tcp: &dns.Server{Listener: l, Handler: h},
	}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		if srv.PacketConn == nil && srv.Listener == nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = srv.ActivateAndServe()
		}()
	}
	return s
}

// Close stops the server and closes its sockets.
func (s *Server) Close() {
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		if srv.PacketConn == nil && srv.Listener == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err := srv.ShutdownContext(ctx); err != nil {
			if srv.PacketConn != nil {
				_ = srv.PacketConn.Close()
			}
			if srv.Listener != nil {
				_ = srv.Listener.Close()
			}
		}
		cancel()
	}
	s.wg.Wait()
}

type handler struct {
	lookup    Lookup
	upstreams []string
}

func (h *handler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	if resp := h.answer(req); resp != nil {
		_ = w.WriteMsg(resp)
		return
	}
	_, isTCP := w.RemoteAddr().(*net.TCPAddr)
	resp := h.forward(req, isTCP)
	if resp == nil {
		resp = new(dns.Msg)
		resp.SetRcode(req, dns.RcodeServerFailure)
	}
	_ = w.WriteMsg(resp)
}

// answer returns tug's own answer to req, or nil to forward it.
func (h *handler) answer(req *dns.Msg) *dns.Msg {
	if len(req.Question) != 1 {
		return nil
	}
	q := req.Question[0]
	name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	resp.RecursionAvailable = true
	switch q.Qtype {
	case dns.TypeA, dns.TypeAAAA, dns.TypeANY:
		addrs := h.lookup.Addrs(name)
		if len(addrs) == 0 {
			return nil
		}
		for _, a := range addrs {
			switch {
			case a.Is4() && q.Qtype != dns.TypeAAAA:
				resp.Answer = append(resp.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 600},
					A:   net.IP(a.AsSlice()),
				})
			case a.Is6() && q.Qtype != dns.TypeA:
				resp.Answer = append(resp.Answer, &dns.AAAA{
					Hdr:  dns.RR_Header{Name: q.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 600},
					AAAA: net.IP(a.AsSlice()),
				})
			}
		}
		return resp // a container without an address of the type: an empty NOERROR answer
	case dns.TypePTR:
		addr, ok := reverseAddr(name)
		if !ok {
			return nil
		}
		n, local := h.lookup.Name(addr)
		if !local {
			return nil
		}
		if n == "" {
			resp.SetRcode(req, dns.RcodeNameError)
			return resp
		}
		resp.Answer = append(resp.Answer, &dns.PTR{
			Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 600},
			Ptr: dns.Fqdn(n),
		})
		return resp
	}
	return nil
}

func (h *handler) forward(req *dns.Msg, tcp bool) *dns.Msg {
	c := &dns.Client{Timeout: 3 * time.Second}
	if tcp {
		c.Net = "tcp"
	}
	for _, u := range h.upstreams {
		if _, _, err := net.SplitHostPort(u); err != nil {
			u = net.JoinHostPort(u, "53")
		}
		resp, _, err := c.Exchange(req, u)
		if err == nil && resp != nil {
			if resp.Truncated && !tcp {
				return resp // the client retries over TCP
			}
			return resp
		}
	}
	return nil
}

// reverseAddr parses d.c.b.a.in-addr.arpa.
func reverseAddr(name string) (netip.Addr, bool) {
	rest, ok := strings.CutSuffix(name, ".in-addr.arpa")
	if !ok {
		return netip.Addr{}, false
	}
	p := strings.Split(rest, ".")
	if len(p) != 4 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(p[3] + "." + p[2] + "." + p[1] + "." + p[0])
	return a, err == nil
}
