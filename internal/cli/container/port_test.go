package container

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/network"
)

func TestPortLines(t *testing.T) {
	any4 := netip.IPv4Unspecified()
	lo := netip.MustParseAddr("127.0.0.1")
	ports := network.PortMap{
		network.MustParsePort("80/tcp"):  {{HostIP: any4, HostPort: "8080"}, {HostIP: lo, HostPort: "32768"}},
		network.MustParsePort("53/udp"):  {{HostIP: any4, HostPort: "5353"}},
		network.MustParsePort("443/tcp"): nil, // exposed only
	}
	got, err := portLines(ports, "web", nil)
	want := []string{"53/udp -> 0.0.0.0:5353", "80/tcp -> 0.0.0.0:8080", "80/tcp -> 127.0.0.1:32768"}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("portLines() = %q, %v, want %q", got, err, want)
	}
	got, err = portLines(ports, "web", []string{"80"})
	if want := []string{"0.0.0.0:8080", "127.0.0.1:32768"}; err != nil || !cmp.Equal(got, want) {
		t.Errorf("portLines(80) = %q, %v, want %q", got, err, want)
	}
	if _, err := portLines(ports, "web", []string{"443"}); err == nil || err.Error() != "Error: No public port '443/tcp' published for web" {
		t.Errorf("portLines(443) error = %v", err)
	}
}
