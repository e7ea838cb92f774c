package network

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strings"
)

// HostsEntry is one extra line of /etc/hosts.
type HostsEntry struct {
	IP    string
	Names []string
}

// Hosts returns the /etc/hosts of a container: Docker's loopback and IPv6
// lines, then the extra entries in order.
func Hosts(extra []HostsEntry) []byte {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("fe00::0\tip6-localnet\n")
	b.WriteString("ff00::0\tip6-mcastprefix\n")
	b.WriteString("ff02::1\tip6-allnodes\n")
	b.WriteString("ff02::2\tip6-allrouters\n")
	for _, e := range extra {
		fmt.Fprintf(&b, "%s\t%s\n", e.IP, strings.Join(e.Names, " "))
	}
	return b.Bytes()
}

// DefaultDNS are the resolvers Docker falls back to when the host has only
// loopback ones, which a container cannot reach.
var DefaultDNS = []string{"8.8.8.8", "8.8.4.4"}

// ResolvConfOptions override parts of the host's resolv.conf.
type ResolvConfOptions struct {
	Nameservers []string // --dns
	Search      []string // --dns-search
	Options     []string // --dns-option
}

// resolvConf is the parts of a resolv.conf tug reads.
type resolvConf struct {
	nameservers []string // in order, loopback ones included
	search      []string // the last search or domain line
	options     []string
	other       []string // lines of any other kind, verbatim
}

// parseResolvConf is the one reader of resolv.conf files.
func parseResolvConf(b []byte) resolvConf {
	var rc resolvConf
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) > 1 {
				rc.nameservers = append(rc.nameservers, f[1])
			}
		case "search", "domain":
			rc.search = append(rc.search[:0], f[1:]...)
		case "options":
			rc.options = append(rc.options, f[1:]...)
		default:
			rc.other = append(rc.other, line)
		}
	}
	return rc
}

// Nameservers are the nameservers of a resolv.conf, loopback ones
// included (tugd, on the host, can reach them).
func Nameservers(resolv []byte) []string { return parseResolvConf(resolv).nameservers }

// ResolvConf derives a container's /etc/resolv.conf from the host's, the
// way Docker does for a private network namespace: loopback nameservers
// are dropped (they are not reachable from the container), the defaults
// are used when none remain, and explicit options replace the host's.
func ResolvConf(host []byte, opts ResolvConfOptions) []byte {
	rc := parseResolvConf(host)
	var ns []string
	for _, n := range rc.nameservers {
		if !isLoopback(n) {
			ns = append(ns, n)
		}
	}
	search, options := rc.search, rc.options
	if len(opts.Nameservers) > 0 {
		ns = opts.Nameservers
	}
	if len(ns) == 0 {
		ns = DefaultDNS
	}
	if len(opts.Search) > 0 {
		search = opts.Search
		if len(search) == 1 && search[0] == "." {
			search = nil
		}
	}
	if len(opts.Options) > 0 {
		options = opts.Options
	}
	var b bytes.Buffer
	for _, l := range rc.other {
		b.WriteString(l + "\n")
	}
	if len(search) > 0 {
		b.WriteString("search " + strings.Join(search, " ") + "\n")
	}
	for _, n := range ns {
		b.WriteString("nameserver " + n + "\n")
	}
	if len(options) > 0 {
		b.WriteString("options " + strings.Join(options, " ") + "\n")
	}
	return b.Bytes()
}

// EmbeddedResolvConf is the resolv.conf of a container on user networks:
// the embedded resolver at nameserver, the host's search domains (or
// --dns-search, where "." clears them), and ndots:0 followed by
// --dns-option. The host's nameservers and options are not used: the
// resolver forwards to them.
func EmbeddedResolvConf(host []byte, nameserver string, dnsSearch, dnsOptions []string) []byte {
	search := parseResolvConf(host).search
	if len(dnsSearch) > 0 {
		search = dnsSearch
		if len(search) == 1 && search[0] == "." {
			search = nil
		}
	}
	options := append([]string{"ndots:0"}, dnsOptions...)
	var b bytes.Buffer
	if len(search) > 0 {
		b.WriteString("search " + strings.Join(search, " ") + "\n")
	}
	b.WriteString("nameserver " + nameserver + "\n")
	b.WriteString("options " + strings.Join(options, " ") + "\n")
	return b.Bytes()
}

func isLoopback(s string) bool {
	a, err := netip.ParseAddr(strings.SplitN(s, "%", 2)[0])
	return err == nil && a.IsLoopback()
}
