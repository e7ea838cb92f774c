package container

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/tug-project/tug/internal/errdefs"
)

// Filter selects containers for `ps --filter`.
type Filter struct {
	f map[string][]string
	// Ancestor reports whether the container's image is ref or descends
	// from it; the daemon supplies it because images are not ours.
	Ancestor func(c *Container, ref string) bool
}

var filterKeys = map[string]bool{
	"id": true, "name": true, "label": true, "status": true, "ancestor": true, "exited": true,
	"before": true, "since": true, "network": true, "volume": true, "health": true, "isolation": true,
	"is-task": true, "publish": true, "expose": true,
}

var validStatus = map[string]bool{
	"created": true, "restarting": true, "running": true, "removing": true, "paused": true, "exited": true, "dead": true,
}

// NewFilter validates the filter keys and values.
func NewFilter(f map[string][]string) (*Filter, error) {
	for k, vals := range f {
		if !filterKeys[k] {
			return nil, errdefs.InvalidParameter("invalid filter '%s'", k)
		}
		for _, v := range vals {
			switch k {
			case "status":
				if !validStatus[v] {
					return nil, errdefs.InvalidParameter("invalid filter 'status=%s'", v)
				}
			case "exited":
				if _, err := strconv.Atoi(v); err != nil {
					return nil, errdefs.InvalidParameter("invalid filter 'exited=%s'", v)
				}
			}
		}
	}
	return &Filter{f: f}, nil
}

// Has reports whether the filter has key.
func (f *Filter) Has(key string) bool { return len(f.f[key]) > 0 }

// Values returns the values of key.
func (f *Filter) Values(key string) []string { return f.f[key] }

// Match reports whether c passes every filter: values of one key are ORed,
// keys are ANDed, as in Docker.
func (f *Filter) Match(c *Container) bool {
	for key, vals := range f.f {
		if len(vals) == 0 {
			continue
		}
		if !anyOf(vals, func(v string) bool { return f.match(c, key, v) }) {
			return false
		}
	}
	return true
}

func (f *Filter) match(c *Container, key, v string) bool {
	switch key {
	case "id":
		return strings.HasPrefix(c.ID, v)
	case "name":
		re, err := regexp.Compile(v)
		if err != nil {
			return strings.Contains(c.Name, v)
		}
		return re.MatchString(c.Name) || re.MatchString("/"+c.Name)
	case "label":
		k, want, hasValue := strings.Cut(v, "=")
		got, ok := c.Config.Labels[k]
		return ok && (!hasValue || got == want)
	case "status":
		return string(c.State.Status) == v
	case "exited":
		code, _ := strconv.Atoi(v)
		return c.State.Status == "exited" && c.State.ExitCode == code
	case "ancestor":
		return f.Ancestor != nil && f.Ancestor(c, v)
	case "network":
		return string(c.HostConfig.NetworkMode) == v
	case "before", "since":
		return true // applied by the caller, which knows the order
	default:
		return false
	}
}

func anyOf(vals []string, fn func(string) bool) bool {
	for _, v := range vals {
		if fn(v) {
			return true
		}
	}
	return false
}
