package links

import (
	"cmp"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Parse reads a link as a client sends it, "name[:alias]", or in its
// stored form "/name:/parent/alias"; the alias defaults to the name.
func Parse(s string) (name, alias string, err error) {
	name, alias, _ = strings.Cut(s, ":")
	name = strings.TrimPrefix(name, "/")
	if alias == "" {
		alias = name
	}
	alias = path.Base(alias)
	if name == "" || alias == "" || alias == "." || alias == "/" {
		return "", "", fmt.Errorf("invalid link %q: want name or name:alias", s)
	}
	return name, alias, nil
}

// Stored is the form Docker keeps and inspect shows: "/child:/parent/alias".
func Stored(child, parent, alias string) string {
	return "/" + child + ":/" + parent + "/" + alias
}

// Renamed returns the stored links of container parent (named as it is
// now) after container old was renamed new: the child and parent names in
// them follow, as Docker's inspect shows them. changed says whether any
// link differs.
func Renamed(stored []string, parent, old, new string) (out []string, changed bool) {
	out = make([]string, 0, len(stored))
	for _, l := range stored {
		child, alias, err := Parse(l)
		if err != nil {
			out = append(out, l)
			continue
		}
		if child == old {
			child = new
		}
		r := Stored(child, parent, alias)
		changed = changed || r != l
		out = append(out, r)
	}
	return out, changed
}

// Child is what the parent learns of a linked container.
type Child struct {
	Name     string     // the container's name
	Hostname string     // its hostname
	IP       netip.Addr // its address on the default bridge
	Ports    []string   // its exposed ports, "80/tcp"
	Env      []string   // its environment
}

type port struct {
	num   int
	proto string
}

// Env is the environment a parent named parent gets from child under
// alias, as Docker's (ALIAS_PORT, ALIAS_PORT_80_TCP*, ranges of three
// or more contiguous ports as _START/_END, ALIAS_NAME, ALIAS_ENV_*).
func Env(parent, alias string, c Child) []string {
	a := strings.ReplaceAll(strings.ToUpper(alias), "-", "_")
	var ports []port
	for _, p := range c.Ports {
		n, proto, _ := strings.Cut(p, "/")
		num, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if proto == "" {
			proto = "tcp"
		}
		ports = append(ports, port{num, strings.ToLower(proto)})
	}
	// By number, tcp first on equal numbers.
	slices.SortStableFunc(ports, func(x, y port) int {
		return cmp.Or(cmp.Compare(x.num, y.num), cmp.Compare(protoRank(x.proto), protoRank(y.proto)))
	})
	var env []string
	if len(ports) > 0 {
		p := ports[0]
		env = append(env, fmt.Sprintf("%s_PORT=%s://%s:%d", a, p.proto, c.IP, p.num))
	}
	for i := 0; i < len(ports); {
		p := ports[i]
		j := nextContiguous(ports, i)
		if j > i+1 {
			pre := fmt.Sprintf("%s_PORT_%d_%s", a, p.num, strings.ToUpper(p.proto))
			q := ports[j]
			env = append(env,
				fmt.Sprintf("%s_START=%s://%s:%d", pre, p.proto, c.IP, p.num),
				fmt.Sprintf("%s_ADDR=%s", pre, c.IP),
				fmt.Sprintf("%s_PROTO=%s", pre, p.proto),
				fmt.Sprintf("%s_PORT_START=%d", pre, p.num),
				fmt.Sprintf("%s_END=%s://%s:%d", pre, q.proto, c.IP, q.num),
				fmt.Sprintf("%s_PORT_END=%d", pre, q.num))
			i = j + 1
			continue
		}
		i++
	}
	for _, p := range ports {
		pre := fmt.Sprintf("%s_PORT_%d_%s", a, p.num, strings.ToUpper(p.proto))
		env = append(env,
			fmt.Sprintf("%s=%s://%s:%d", pre, p.proto, c.IP, p.num),
			fmt.Sprintf("%s_ADDR=%s", pre, c.IP),
			fmt.Sprintf("%s_PORT=%d", pre, p.num),
			fmt.Sprintf("%s_PROTO=%s", pre, p.proto))
	}
	env = append(env, fmt.Sprintf("%s_NAME=/%s/%s", a, parent, alias))
	for _, kv := range c.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "HOME" || k == "PATH" {
			continue // set by every image: not the child's own
		}
		env = append(env, fmt.Sprintf("%s_ENV_%s=%s", a, k, v))
	}
	// A range's first port sets _ADDR and _PROTO twice, to one value.
	seen := map[string]bool{}
	return slices.DeleteFunc(env, func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		dup := seen[k]
		seen[k] = true
		return dup
	})
}

func protoRank(p string) int {
	if p == "tcp" {
		return 0
	}
	return 1
}

// nextContiguous is the index of the last port of the run of contiguous
// numbers starting at i (Docker's, which does not look at protocols).
func nextContiguous(ports []port, i int) int {
	v := ports[i].num
	for k := i + 1; k < len(ports); k++ {
		if ports[k].num > v+1 {
			return k - 1
		}
		v++
	}
	return len(ports) - 1
}

// HostsNames are the names of child's /etc/hosts line in its parent: the
// alias, its hostname and, when it differs from the alias, its name.
func HostsNames(alias string, c Child) []string {
	names := []string{alias, c.Hostname}
	if alias != c.Name {
		names = append(names, c.Name)
	}
	return names
}

// MergeEnv puts the link variables before the container's own, leaving
// out those the container sets itself (its own value wins, as in Docker).
func MergeEnv(links, own []string) []string {
	set := map[string]bool{}
	for _, kv := range own {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	var out []string
	for _, kv := range links {
		if k, _, _ := strings.Cut(kv, "="); !set[k] {
			out = append(out, kv)
		}
	}
	return append(out, own...)
}
