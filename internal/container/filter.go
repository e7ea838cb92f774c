package container

import (
	"regexp"

	apicontainer "github.com/moby/moby/api/types/container"
	"strconv"
	"strings"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/filters"
)

// Filter selects containers for `ps --filter`.
type Filter struct {
	f filters.Args
	// Ancestor reports whether the container's image is ref or descends
	// from it; the daemon supplies it because images are not ours.
	Ancestor func(c *Container, ref string) bool
}

var filterKeys = []string{
	"id", "name", "label", "status", "ancestor", "exited",
	"before", "since", "network", "volume", "health", "isolation",
	"is-task", "publish", "expose",
}

var validStatus = map[string]bool{
	"created": true, "restarting": true, "running": true, "removing": true, "paused": true, "exited": true, "dead": true,
}

// NewFilter validates the filter keys and values.
func NewFilter(f filters.Args) (*Filter, error) {
	if err := f.Validate(filterKeys...); err != nil {
		return nil, err
	}
	for k, vals := range f {
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
			case "health":
				if err := apicontainer.ValidateHealthStatus(apicontainer.HealthStatus(v)); err != nil {
					return nil, errdefs.InvalidParameter("Unrecognised filter value for health: %s", v)
				}
			}
		}
	}
	return &Filter{f: f}, nil
}

// Has reports whether the filter has key.
func (f *Filter) Has(key string) bool { return f.f.Contains(key) }

// Values returns the values of key.
func (f *Filter) Values(key string) []string { return f.f.Get(key) }

// Match reports whether c passes every filter: values of one key are ORed
// (labels excepted: every label filter must match, as in Docker), keys are
// ANDed.
func (f *Filter) Match(c *Container) bool {
	for key := range f.f {
		if key == "label" {
			if !f.f.MatchKVList(key, c.Config.Labels) {
				return false
			}
			continue
		}
		if !f.f.Match(key, func(v string) bool { return f.match(c, key, v) }) {
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
	case "status":
		return string(c.State.Status) == v
	case "exited":
		code, _ := strconv.Atoi(v)
		return c.State.Status == "exited" && c.State.ExitCode == code
	case "health":
		return string(c.State.HealthStatus()) == v
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
