package controller

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"

	tugnet "github.com/tug-project/tug/internal/network"
)

func TestEtcFilesAtCreate(t *testing.T) {
	const hostResolv = "search lan\nnameserver 10.0.0.2\n"
	const hostHosts = "127.0.0.1\tlocalhost\n10.0.0.1\tthe-host\n"
	readHosts := func() ([]byte, error) { return []byte(hostHosts), nil }
	tests := []struct {
		name       string
		hc         apicontainer.HostConfig
		read       func() ([]byte, error)
		wantHosts  string // a suffix, or the whole file for host mode
		wantResolv string
	}{
		{"private namespace: --add-host lines, host's resolvers", apicontainer.HostConfig{NetworkMode: "bridge", ExtraHosts: []string{"db:10.1.0.5", "cache=10.1.0.6"}},
			readHosts, "ff02::2\tip6-allrouters\n10.1.0.5\tdb\n10.1.0.6\tcache\n", hostResolv},
		{"host-gateway is the default bridge's gateway; brackets go", apicontainer.HostConfig{NetworkMode: "bridge", ExtraHosts: []string{"gw:host-gateway", "v6:[fd00::9]"}},
			readHosts, "ff02::2\tip6-allrouters\n172.30.0.1\tgw\nfd00::9\tv6\n", hostResolv},
		{"private namespace: --dns and --dns-search", apicontainer.HostConfig{NetworkMode: "bridge",
			DNS: []netip.Addr{netip.MustParseAddr("9.9.9.9")}, DNSSearch: []string{"x.test"}},
			readHosts, "ff02::2\tip6-allrouters\n", "search x.test\nnameserver 9.9.9.9\n"},
		{"host network: the host's files", apicontainer.HostConfig{NetworkMode: "host"},
			readHosts, hostHosts, hostResolv},
		{"host network with --add-host: the host's file and the lines", apicontainer.HostConfig{NetworkMode: "host", ExtraHosts: []string{"db:10.1.0.5"}},
			readHosts, hostHosts + "10.1.0.5\tdb\n", hostResolv},
		{"host network with --dns: a derived resolv.conf", apicontainer.HostConfig{NetworkMode: "host", DNS: []netip.Addr{netip.MustParseAddr("9.9.9.9")}},
			readHosts, hostHosts, "search lan\nnameserver 9.9.9.9\n"},
		{"host network, no /etc/hosts: the container's own", apicontainer.HostConfig{NetworkMode: "host"},
			func() ([]byte, error) { return nil, errors.New("gone") }, "ff02::2\tip6-allrouters\n", hostResolv},
	}
	for _, tt := range tests {
		hosts, resolv := etcFiles(&tt.hc, []byte(hostResolv), netip.MustParseAddr("172.30.0.1"), tt.read)
		if !strings.HasSuffix(string(hosts), tt.wantHosts) {
			t.Errorf("%s: hosts = %q, want it to end with %q", tt.name, hosts, tt.wantHosts)
		}
		if string(resolv) != tt.wantResolv {
			t.Errorf("%s: resolv.conf = %q, want %q", tt.name, resolv, tt.wantResolv)
		}
	}
}

func TestSandboxHostsEntryNamesTheFirstActiveAddress(t *testing.T) {
	ip := netip.MustParseAddr
	tests := []struct {
		name string
		eps  []*tugnet.Endpoint
		want string
	}{
		{"none active", []*tugnet.Endpoint{{NetworkID: "a"}}, ""},
		{"first active wins", []*tugnet.Endpoint{{NetworkID: "a"}, {NetworkID: "b", IP: ip("10.9.0.4")}, {NetworkID: "c", IP: ip("10.8.0.4")}}, "10.9.0.4\thost1\n"},
	}
	for _, tt := range tests {
		got := tugnet.Hosts(sandboxHostsEntries(&tugnet.Sandbox{Endpoints: tt.eps}, "host1"))
		base := string(tugnet.Hosts(nil))
		if string(got) != base+tt.want {
			t.Errorf("%s: hosts = %q, want %q", tt.name, got, base+tt.want)
		}
	}
}
