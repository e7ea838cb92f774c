package confine

import (
	"errors"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// Seccomp returns the filter of a container whose process has the
// capabilities of s: nil when unconfined (or privileged), Docker's default
// profile for "" and "builtin", else the JSON profile given. The default
// profile's capability-dependent rules are resolved against
// s.Process.Capabilities.Bounding, so call it with the final set.
func Seccomp(profile string, privileged bool, host *Host, s *specs.Spec) (*specs.LinuxSeccomp, error) {
	if privileged || profile == "unconfined" {
		return nil, nil
	}
	if !host.Seccomp {
		if profile != "" && profile != "builtin" {
			return nil, errors.New("seccomp is not enabled in your kernel, cannot run a custom seccomp profile")
		}
		// Probe is true on every kernel tug runs on; a host without
		// seccomp runs unconfined, and info does not list seccomp.
		return nil, nil
	}
	if profile == "" || profile == "builtin" {
		return seccomp.GetDefaultProfile(s)
	}
	return seccomp.LoadProfile(profile, s)
}
