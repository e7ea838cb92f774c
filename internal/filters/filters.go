package filters

import (
	"slices"
	"strings"

	"github.com/tug-project/tug/internal/errdefs"
)

// Args is the decoded `filters` query parameter: key -> accepted values.
type Args map[string][]string

// Validate refuses a key not in accepted with Docker's text,
// "invalid filter 'x'".
func (a Args) Validate(accepted ...string) error {
	for k := range a {
		if !slices.Contains(accepted, k) {
			return errdefs.InvalidParameter("invalid filter '%s'", k)
		}
	}
	return nil
}

// Get returns the values of key.
func (a Args) Get(key string) []string { return a[key] }

// Contains reports whether key has any value.
func (a Args) Contains(key string) bool { return len(a[key]) > 0 }

// Match reports whether key has no value or ok accepts one of its values.
func (a Args) Match(key string, ok func(value string) bool) bool {
	vals := a[key]
	return len(vals) == 0 || slices.ContainsFunc(vals, ok)
}

// ExactMatch reports whether key has no value or source is one of them.
func (a Args) ExactMatch(key, source string) bool {
	return a.Match(key, func(v string) bool { return v == source })
}

// MatchKVList reports whether every value of key ("k" or "k=v") matches
// sources (MatchKV); true when key has no value.
func (a Args) MatchKVList(key string, sources map[string]string) bool {
	for _, v := range a[key] {
		if !MatchKV(v, sources) {
			return false
		}
	}
	return true
}

// MatchLabels applies the "label" values (`label=k`, `label=k=v`: all must
// match) and the "label!" ones (`label!=k`, `label!=k=v`: excluded when all
// match) to labels, as Docker's prune does.
func (a Args) MatchLabels(labels map[string]string) bool {
	if !a.MatchKVList("label", labels) {
		return false
	}
	return !a.Contains("label!") || !a.MatchKVList("label!", labels)
}

// MatchKV reports whether filter, "k" or "k=v", matches sources: k is a key
// of sources and, with "=v", its value is v.
func MatchKV(filter string, sources map[string]string) bool {
	k, want, hasValue := strings.Cut(filter, "=")
	got, ok := sources[k]
	return ok && (!hasValue || got == want)
}
