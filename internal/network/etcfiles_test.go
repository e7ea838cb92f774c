package network

import (
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
