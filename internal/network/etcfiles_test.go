package network

import (
	"slices"
	"strings"
	"testing"
)

func TestResolvConf(t *testing.T) {
	tests := []struct {
		name string
		host string
		opts ResolvConfOptions
		want string
	}{
		{"loopback dropped, defaults used", "nameserver 127.0.0.53\noptions edns0\nsearch lan\n", ResolvConfOptions{},
			"search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0\n"},
		{"real server kept", "# comment\nnameserver 10.0.0.2\nnameserver ::1\n", ResolvConfOptions{},
			"nameserver 10.0.0.2\n"},
		{"--dns overrides", "nameserver 10.0.0.2\n", ResolvConfOptions{Nameservers: []string{"127.0.0.1"}},
			"nameserver 127.0.0.1\n"},
		{"--dns-search . clears", "search a b\nnameserver 10.0.0.2\n", ResolvConfOptions{Search: []string{"."}},
			"nameserver 10.0.0.2\n"},
		{"empty host", "", ResolvConfOptions{}, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"},
	}
	for _, tt := range tests {
		if got := string(ResolvConf([]byte(tt.host), tt.opts)); got != tt.want {
			t.Errorf("%s: ResolvConf() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestHosts(t *testing.T) {
	got := string(Hosts([]HostsEntry{{IP: "10.0.0.5", Names: []string{"web", "web.local"}}}))
	if !strings.HasPrefix(got, "127.0.0.1\tlocalhost\n") || !strings.HasSuffix(got, "10.0.0.5\tweb web.local\n") {
		t.Errorf("Hosts() = %q", got)
	}
}

func TestEmbeddedResolvConfPointsAtTheResolverWithHostSearch(t *testing.T) {
	tests := []struct {
		name            string
		host            string
		search, options []string
		want            string
	}{
		{"host search kept, nameservers and options dropped",
			"nameserver 10.0.0.2\nsearch lan corp\noptions edns0\n", nil, nil,
			"search lan corp\nnameserver 127.0.0.11\noptions ndots:0\n"},
		{"domain counts as search", "domain example.org\n", nil, nil,
			"search example.org\nnameserver 127.0.0.11\noptions ndots:0\n"},
		{"--dns-search replaces", "search lan\n", []string{"a.test"}, nil,
			"search a.test\nnameserver 127.0.0.11\noptions ndots:0\n"},
		{"--dns-search . clears", "search lan\n", []string{"."}, nil,
			"nameserver 127.0.0.11\noptions ndots:0\n"},
		{"--dns-option follows ndots:0", "", nil, []string{"timeout:1", "attempts:2"},
			"nameserver 127.0.0.11\noptions ndots:0 timeout:1 attempts:2\n"},
	}
	for _, tt := range tests {
		got := string(EmbeddedResolvConf([]byte(tt.host), "127.0.0.11", tt.search, tt.options))
		if got != tt.want {
			t.Errorf("%s: EmbeddedResolvConf() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNameserversKeepsLoopbackAndOrder(t *testing.T) {
	got := Nameservers([]byte("# nameserver 1.1.1.1\nnameserver 127.0.0.53\nsearch lan\nnameserver 10.0.0.2\nnameserver\n"))
	want := []string{"127.0.0.53", "10.0.0.2"}
	if !slices.Equal(got, want) {
		t.Errorf("Nameservers() = %q, want %q", got, want)
	}
}
