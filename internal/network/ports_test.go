package network

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/network"
)

func TestPortRequests(t *testing.T) {
	p := network.MustParsePort
	lo := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name       string
		bindings   network.PortMap
		exposed    network.PortSet
		publishAll bool
		want       []PortRequest
	}{
		{"fixed", network.PortMap{p("80/tcp"): {{HostPort: "8080"}}}, nil, false,
			[]PortRequest{{Proto: "tcp", HostLow: 8080, HostHigh: 8080, ContainerPort: 80}}},
		{"ephemeral and ip", network.PortMap{p("53/udp"): {{HostIP: lo}}}, nil, false,
			[]PortRequest{{Proto: "udp", HostIP: lo, ContainerPort: 53}}},
		{"0.0.0.0 is any", network.PortMap{p("80/tcp"): {{HostIP: netip.IPv4Unspecified(), HostPort: "80"}}}, nil, false,
			[]PortRequest{{Proto: "tcp", HostLow: 80, HostHigh: 80, ContainerPort: 80}}},
		{"host range", network.PortMap{p("80/tcp"): {{HostPort: "8000-8010"}}}, nil, false,
			[]PortRequest{{Proto: "tcp", HostLow: 8000, HostHigh: 8010, ContainerPort: 80}}},
		{"publish all", network.PortMap{p("80/tcp"): {{HostPort: "8080"}}}, network.PortSet{p("80/tcp"): {}, p("443/tcp"): {}}, true,
			[]PortRequest{{Proto: "tcp", HostLow: 8080, HostHigh: 8080, ContainerPort: 80}, {Proto: "tcp", ContainerPort: 443}}},
		{"exposed only", nil, network.PortSet{p("443/tcp"): {}}, false, nil},
		{"ipv6 any stays ipv6 only", network.PortMap{p("80/tcp"): {{HostIP: netip.MustParseAddr("::"), HostPort: "80"}}}, nil, false,
			[]PortRequest{{Proto: "tcp", HostIP: netip.MustParseAddr("::"), HostLow: 80, HostHigh: 80, ContainerPort: 80}}},
		{"ipv6 address", network.PortMap{p("80/tcp"): {{HostIP: netip.MustParseAddr("fd00::1"), HostPort: "80"}}}, nil, false,
			[]PortRequest{{Proto: "tcp", HostIP: netip.MustParseAddr("fd00::1"), HostLow: 80, HostHigh: 80, ContainerPort: 80}}},
	}
	for _, tt := range tests {
		got, err := PortRequests(tt.bindings, tt.exposed, tt.publishAll)
		if err != nil {
			t.Errorf("%s: PortRequests() error = %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("%s: PortRequests() mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
	if _, err := PortRequests(network.PortMap{p("80/tcp"): {{HostPort: "x"}}}, nil, false); err == nil {
		t.Errorf("PortRequests(bad host port) = nil error, want error")
	}
	for _, ip := range []string{"::1", "fe80::1"} {
		_, err := PortRequests(network.PortMap{p("80/tcp"): {{HostIP: netip.MustParseAddr(ip), HostPort: "80"}}}, nil, false)
		if err == nil || !strings.Contains(err.Error(), "["+ip+"]") {
			t.Errorf("PortRequests(host address %s) error = %v, want a refusal naming it", ip, err)
		}
	}
}

func TestPortSummariesAndConflicts(t *testing.T) {
	m := []PortMapping{{Proto: "tcp", HostPort: 8080, ContainerPort: 80}}
	got := PortSummaries(m, network.PortSet{network.MustParsePort("80/tcp"): {}, network.MustParsePort("90/udp"): {}})
	if len(got) != 2 || got[0].PublicPort != 8080 || got[0].IP.String() != "0.0.0.0" || got[1].PrivatePort != 90 || got[1].PublicPort != 0 {
		t.Errorf("PortSummaries() = %+v", got)
	}
	lo := netip.MustParseAddr("127.0.0.1")
	for _, tt := range []struct {
		m     PortMapping
		proto string
		ip    netip.Addr
		port  uint16
		want  bool
	}{
		{m[0], "tcp", netip.Addr{}, 8080, true},
		{m[0], "tcp", lo, 8080, true},
		{m[0], "udp", netip.Addr{}, 8080, false},
		{PortMapping{Proto: "tcp", HostIP: lo, HostPort: 8080}, "tcp", netip.MustParseAddr("10.0.0.1"), 8080, false},
		{PortMapping{Proto: "tcp", HostIP: netip.IPv6Unspecified(), HostPort: 8080}, "tcp", netip.MustParseAddr("fd00::1"), 8080, true},
		{PortMapping{Proto: "tcp", HostIP: netip.IPv6Unspecified(), HostPort: 8080}, "tcp", lo, 8080, false},
		{PortMapping{Proto: "tcp", HostIP: netip.MustParseAddr("fd00::2"), HostPort: 8080}, "tcp", netip.MustParseAddr("fd00::1"), 8080, false},
	} {
		if got := tt.m.Conflicts(tt.proto, tt.ip, tt.port); got != tt.want {
			t.Errorf("%+v.Conflicts(%s, %v, %d) = %v, want %v", tt.m, tt.proto, tt.ip, tt.port, got, tt.want)
		}
	}
}
