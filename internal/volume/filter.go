package volume

import (
	"strconv"
	"strings"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/filters"
)

// ListFilter is `volume ls --filter`: dangling, name (a substring), label,
// driver.
type ListFilter struct {
	args     filters.Args
	dangling *bool
}

// NewListFilter validates args with Docker's texts.
func NewListFilter(args filters.Args) (ListFilter, error) {
	if err := args.Validate("dangling", "name", "label", "driver"); err != nil {
		return ListFilter{}, err
	}
	f := ListFilter{args: args}
	for _, v := range args.Get("dangling") {
		b, err := parseBool(v)
		if err != nil {
			return ListFilter{}, errdefs.InvalidParameter("invalid filter 'dangling=%s'", v)
		}
		f.dangling = &b
	}
	return f, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return strconv.ParseBool(v)
}

// Match reports whether v, used by a container or not, passes the filter.
func (f ListFilter) Match(v Volume, inUse bool) bool {
	if f.dangling != nil && *f.dangling == inUse {
		return false
	}
	return f.args.Match("name", func(s string) bool { return strings.Contains(v.Name, s) }) &&
		f.args.ExactMatch("driver", v.Driver) &&
		f.args.MatchKVList("label", v.Labels)
}

// PruneFilter is `volume prune --filter`: label, label!, all.
type PruneFilter struct {
	args filters.Args
	all  bool
}

// NewPruneFilter validates args with Docker's texts.
func NewPruneFilter(args filters.Args) (PruneFilter, error) {
	if err := args.Validate("label", "label!", "all"); err != nil {
		return PruneFilter{}, err
	}
	f := PruneFilter{args: args}
	for _, v := range args.Get("all") {
		b, err := parseBool(v)
		if err != nil {
			return PruneFilter{}, errdefs.InvalidParameter("invalid filter 'all=%s': invalid value", v)
		}
		f.all = b
	}
	return f, nil
}

// Match reports whether the unused volume v is pruned: an anonymous one,
// or any with all, whose labels pass.
func (f PruneFilter) Match(v Volume) bool {
	return (f.all || v.Anonymous()) && f.args.MatchLabels(v.Labels)
}
