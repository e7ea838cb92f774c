package resources

import (
	"slices"

	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/oci"
)

// ValidateUlimits checks ulimits as a container's are checked (daemon.json
// default-ulimits at start).
func ValidateUlimits(ul []*container.Ulimit, h Host) error { return validateUlimits(ul, h) }

// MergeUlimits returns own followed by the defaults own does not name, as
// Docker merges daemon.json default-ulimits into a container's.
func MergeUlimits(own, defaults []*container.Ulimit) []*container.Ulimit {
	out := slices.Clone(own)
	for _, d := range defaults {
		if d != nil && !slices.ContainsFunc(own, func(u *container.Ulimit) bool { return u != nil && u.Name == d.Name }) {
			out = append(out, d)
		}
	}
	return out
}

// RlimitsOpt sets ulimits as the process's rlimits (a build step's: the
// daemon's default-ulimits).
func RlimitsOpt(ul []*container.Ulimit) oci.SpecOpt {
	return func(s *specs.Spec) error {
		s.Process.Rlimits = mergeRlimits(s.Process.Rlimits, ul)
		return nil
	}
}
