package opts

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/network"
)

func TestParsePublish(t *testing.T) {
	p := network.MustParsePort
	lo := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		spec     string
		exposed  []string
		bindings network.PortMap
		wantErr  bool
	}{
		{spec: "80", exposed: []string{"80/tcp"}, bindings: network.PortMap{p("80/tcp"): {{}}}},
		{spec: "8080:80", exposed: []string{"80/tcp"}, bindings: network.PortMap{p("80/tcp"): {{HostPort: "8080"}}}},
		{spec: "127.0.0.1:8080:80/udp", exposed: []string{"80/udp"}, bindings: network.PortMap{p("80/udp"): {{HostIP: lo, HostPort: "8080"}}}},
		{spec: "127.0.0.1::80", exposed: []string{"80/tcp"}, bindings: network.PortMap{p("80/tcp"): {{HostIP: lo}}}},
		{spec: "8000-8001:80-81", exposed: []string{"80/tcp", "81/tcp"},
			bindings: network.PortMap{p("80/tcp"): {{HostPort: "8000"}}, p("81/tcp"): {{HostPort: "8001"}}}},
		{spec: "8000-8010:80", exposed: []string{"80/tcp"}, bindings: network.PortMap{p("80/tcp"): {{HostPort: "8000-8010"}}}},
		{spec: "[::1]:8080:80", exposed: []string{"80/tcp"}, bindings: network.PortMap{p("80/tcp"): {{HostIP: netip.MustParseAddr("::1"), HostPort: "8080"}}}},
		{spec: "8000-8002:80-81", wantErr: true},
		{spec: "x:80", wantErr: true},
		{spec: "80/icmp", wantErr: true},
		{spec: "1:2:3:4", wantErr: true},
	}
	for _, tt := range tests {
		exposed, bindings, err := ParsePublish([]string{tt.spec})
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParsePublish(%q) = nil error, want error", tt.spec)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePublish(%q) error = %v", tt.spec, err)
			continue
		}
		want := network.PortSet{}
		for _, e := range tt.exposed {
			want[p(e)] = struct{}{}
		}
		eq := cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
		if diff := cmp.Diff(want, exposed); diff != "" {
			t.Errorf("ParsePublish(%q) exposed (-want +got):\n%s", tt.spec, diff)
		}
		if diff := cmp.Diff(tt.bindings, bindings, eq); diff != "" {
			t.Errorf("ParsePublish(%q) bindings (-want +got):\n%s", tt.spec, diff)
		}
	}
	exposed := network.PortSet{}
	if err := ParseExpose([]string{"7000-7001/udp"}, exposed); err != nil || len(exposed) != 2 {
		t.Errorf("ParseExpose() = %v, %v", exposed, err)
	}
}
