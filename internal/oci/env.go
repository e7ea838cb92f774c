package oci

import (
	"slices"
	"strings"
)

// MergeEnv returns a copy of env with the entries of over applied in
// order: each replaces the entry of env with the same key, or is appended.
// A bare "KEY" is an entry like any other (a container's config keeps it);
// WithoutUnset drops such entries where they mean "unset".
func MergeEnv(env, over []string) []string {
	out := slices.Clone(env)
	index := map[string]int{}
	for i, kv := range out {
		index[envKey(kv)] = i
	}
	for _, kv := range over {
		k := envKey(kv)
		if i, ok := index[k]; ok {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// WithoutUnset returns env without its bare "KEY" entries: merged over a
// process's environment with MergeEnv, a bare KEY unsets KEY (docker exec).
func WithoutUnset(env []string) []string {
	return slices.DeleteFunc(env, func(kv string) bool { return !strings.Contains(kv, "=") })
}
