package network

import (
	"net/netip"
	"testing"
)

func TestPickSubnet(t *testing.T) {
	pfx := netip.MustParsePrefix
	tests := []struct {
		name  string
		pools []Pool
		avoid []netip.Prefix
		want  string
	}{
		{"first free", DefaultPools, nil, "172.30.0.0/24"},
		{"skips routes", DefaultPools, []netip.Prefix{pfx("172.30.0.0/24"), pfx("172.30.1.0/24")}, "172.30.2.0/24"},
		{"skips a covering route", []Pool{{pfx("10.10.0.0/16"), 24}, {pfx("172.30.0.0/16"), 24}}, []netip.Prefix{pfx("10.0.0.0/8")}, "172.30.0.0/24"},
		{"skips a smaller route inside", DefaultPools, []netip.Prefix{pfx("172.30.0.128/25")}, "172.30.1.0/24"},
		{"ignores docker0", DefaultPools, []netip.Prefix{pfx("172.17.0.0/16"), pfx("192.0.2.0/24")}, "172.30.0.0/24"},
		{"exhausted", []Pool{{pfx("10.1.0.0/23"), 24}}, []netip.Prefix{pfx("10.1.0.0/23")}, ""},
	}
	for _, tt := range tests {
		got, err := PickSubnet(tt.pools, tt.avoid)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: PickSubnet() = %v, want error", tt.name, got)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("%s: PickSubnet() = %v, %v, want %s", tt.name, got, err, tt.want)
		}
	}
}

func TestNextIP(t *testing.T) {
	a := netip.MustParseAddr
	subnet := netip.MustParsePrefix("172.30.0.0/24")
	tests := []struct {
		name string
		used []string
		last string
		want string
	}{
		{"after gateway", []string{"172.30.0.1"}, "", "172.30.0.2"},
		{"round robin", []string{"172.30.0.1"}, "172.30.0.5", "172.30.0.6"},
		{"wraps, skips broadcast", []string{"172.30.0.1"}, "172.30.0.254", "172.30.0.2"},
		{"skips used", []string{"172.30.0.1", "172.30.0.2", "172.30.0.3"}, "", "172.30.0.4"},
	}
	for _, tt := range tests {
		used := map[netip.Addr]bool{}
		for _, u := range tt.used {
			used[a(u)] = true
		}
		var last netip.Addr
		if tt.last != "" {
			last = a(tt.last)
		}
		got, err := NextIP(subnet, used, last)
		if err != nil || got.String() != tt.want {
			t.Errorf("%s: NextIP() = %v, %v, want %s", tt.name, got, err, tt.want)
		}
	}
	small := netip.MustParsePrefix("10.0.0.0/30") // .1 and .2 usable
	if _, err := NextIP(small, map[netip.Addr]bool{a("10.0.0.1"): true, a("10.0.0.2"): true}, netip.Addr{}); err == nil {
		t.Errorf("NextIP() on a full subnet = nil error, want error")
	}
}

func TestMACFromIP(t *testing.T) {
	if got := MACFromIP(netip.MustParseAddr("172.30.0.2")).String(); got != "02:42:ac:1e:00:02" {
		t.Errorf("MACFromIP() = %s, want 02:42:ac:1e:00:02", got)
	}
}
