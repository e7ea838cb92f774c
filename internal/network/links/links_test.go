package links

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, name, alias string
		bad             bool
	}{
		{"db", "db", "db", false},
		{"db:data", "db", "data", false},
		{"/db:/web/data", "db", "data", false},
		{":x", "", "", true},
		{"", "", "", true},
	}
	for _, tt := range tests {
		name, alias, err := Parse(tt.in)
		if (err != nil) != tt.bad || name != tt.name || alias != tt.alias {
			t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q, error %v", tt.in, name, alias, err, tt.name, tt.alias, tt.bad)
		}
	}
	if got := Stored("db", "web", "data"); got != "/db:/web/data" {
		t.Errorf("Stored() = %q", got)
	}
}

// The expectation is what Docker 20.10 sets for
// `docker run --expose 5432 --expose 7000-7002/udp --expose 8000-8002 -e FOO=bar -e PATH=/bin`
// linked as db (sorted as `env | sort` shows it).
func TestEnvIsDockers(t *testing.T) {
	c := Child{Name: "netbugs-db", IP: netip.MustParseAddr("172.17.0.2"),
		Ports: []string{"8001/tcp", "7000/udp", "5432/tcp", "7002/udp", "8000/tcp", "7001/udp", "8002/tcp"},
		Env:   []string{"FOO=bar", "PATH=/bin", "HOME=/root"}}
	want := `DB_ENV_FOO=bar
DB_NAME=/netbugs-web/db
DB_PORT=tcp://172.17.0.2:5432
DB_PORT_5432_TCP=tcp://172.17.0.2:5432
DB_PORT_5432_TCP_ADDR=172.17.0.2
DB_PORT_5432_TCP_PORT=5432
DB_PORT_5432_TCP_PROTO=tcp
DB_PORT_7000_UDP=udp://172.17.0.2:7000
DB_PORT_7000_UDP_ADDR=172.17.0.2
DB_PORT_7000_UDP_END=udp://172.17.0.2:7002
DB_PORT_7000_UDP_PORT=7000
DB_PORT_7000_UDP_PORT_END=7002
DB_PORT_7000_UDP_PORT_START=7000
DB_PORT_7000_UDP_PROTO=udp
DB_PORT_7000_UDP_START=udp://172.17.0.2:7000
DB_PORT_7001_UDP=udp://172.17.0.2:7001
DB_PORT_7001_UDP_ADDR=172.17.0.2
DB_PORT_7001_UDP_PORT=7001
DB_PORT_7001_UDP_PROTO=udp
DB_PORT_7002_UDP=udp://172.17.0.2:7002
DB_PORT_7002_UDP_ADDR=172.17.0.2
DB_PORT_7002_UDP_PORT=7002
DB_PORT_7002_UDP_PROTO=udp
DB_PORT_8000_TCP=tcp://172.17.0.2:8000
DB_PORT_8000_TCP_ADDR=172.17.0.2
DB_PORT_8000_TCP_END=tcp://172.17.0.2:8002
DB_PORT_8000_TCP_PORT=8000
DB_PORT_8000_TCP_PORT_END=8002
DB_PORT_8000_TCP_PORT_START=8000
DB_PORT_8000_TCP_PROTO=tcp
DB_PORT_8000_TCP_START=tcp://172.17.0.2:8000
DB_PORT_8001_TCP=tcp://172.17.0.2:8001
DB_PORT_8001_TCP_ADDR=172.17.0.2
DB_PORT_8001_TCP_PORT=8001
DB_PORT_8001_TCP_PROTO=tcp
DB_PORT_8002_TCP=tcp://172.17.0.2:8002
DB_PORT_8002_TCP_ADDR=172.17.0.2
DB_PORT_8002_TCP_PORT=8002
DB_PORT_8002_TCP_PROTO=tcp`
	got := Env("netbugs-web", "db", c)
	slices.Sort(got)
	if strings.Join(got, "\n") != want {
		t.Errorf("Env() =\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	if got := Env("web", "my-db", Child{Name: "db"}); !slices.Equal(got, []string{"MY_DB_NAME=/web/my-db"}) {
		t.Errorf("Env(no ports, dashed alias) = %v", got)
	}
}

func TestHostsNamesAndMergeEnv(t *testing.T) {
	c := Child{Name: "netbugs-db", Hostname: "783afa382437"}
	if got := HostsNames("db", c); !slices.Equal(got, []string{"db", "783afa382437", "netbugs-db"}) {
		t.Errorf("HostsNames(alias) = %v", got)
	}
	if got := HostsNames("netbugs-db", c); !slices.Equal(got, []string{"netbugs-db", "783afa382437"}) {
		t.Errorf("HostsNames(the name) = %v", got)
	}
	got := MergeEnv([]string{"DB_NAME=/web/db", "DB_PORT=tcp://x"}, []string{"DB_PORT=mine", "PATH=/bin"})
	if !slices.Equal(got, []string{"DB_NAME=/web/db", "DB_PORT=mine", "PATH=/bin"}) {
		t.Errorf("MergeEnv() = %v", got)
	}
}

func TestRenamedFollowsTheChildsAndTheParentsNames(t *testing.T) {
	for _, tc := range []struct {
		name             string
		stored           []string
		parent, old, new string
		want             []string
		changed          bool
	}{
		{"child renamed", []string{"/db:/web/db", "/cache:/web/c"}, "web", "db", "db2", []string{"/db2:/web/db", "/cache:/web/c"}, true},
		{"parent renamed", []string{"/db:/web/db"}, "site", "web", "site", []string{"/db:/site/db"}, true},
		{"another container renamed", []string{"/db:/web/db"}, "web", "other", "x", []string{"/db:/web/db"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := Renamed(tc.stored, tc.parent, tc.old, tc.new)
			if !slices.Equal(got, tc.want) || changed != tc.changed {
				t.Errorf("Renamed() = %q, %v; want %q, %v", got, changed, tc.want, tc.changed)
			}
		})
	}
}
