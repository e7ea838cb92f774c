package distribution

import (
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/filters"
)

// FilterSearchResults applies the filters of GET /images/search as moby
// does: is-official, is-automated (true or false; is_automated is always
// false nowadays) and stars (at least the largest value given).
func FilterSearchResults(results []registry.SearchResult, f filters.Args) ([]registry.SearchResult, error) {
	if err := f.Validate("is-automated", "is-official", "stars"); err != nil {
		return nil, err
	}
	official, err := boolFilter(f, "is-official")
	if err != nil {
		return nil, err
	}
	automated, err := boolFilter(f, "is-automated")
	if err != nil {
		return nil, err
	}
	stars := 0
	for _, v := range f.Get("stars") {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errdefs.InvalidParameter("invalid filter 'stars=%s': %v", v, err)
		}
		stars = max(stars, n)
	}
	out := []registry.SearchResult{}
	for _, r := range results {
		if official != nil && r.IsOfficial != *official ||
			automated != nil && r.IsAutomated != *automated ||
			r.StarCount < stars {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// boolFilter reads a boolean filter: nil when absent.
func boolFilter(f filters.Args, key string) (*bool, error) {
	vals := f.Get(key)
	if len(vals) == 0 {
		return nil, nil
	}
	var b bool
	for i, v := range vals {
		var this bool
		switch strings.ToLower(v) {
		case "true", "1":
			this = true
		case "false", "0":
		default:
			return nil, errdefs.InvalidParameter("invalid filter '%s=%s'", key, v)
		}
		if i > 0 && this != b {
			return nil, errdefs.InvalidParameter("invalid filter '%s': conflicting values", key)
		}
		b = this
	}
	return &b, nil
}
