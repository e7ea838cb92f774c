package confine

import (
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// Seccomp returns the filter of a container whose process has the
// capabilities of s: nil when unconfined (or privileged), Docker's default
// profile for "" and "builtin", else the JSON profile given. The default
// profile's capability-dependent rules are resolved against
// s.Process.Capabilities.Bounding, so call it with the final set. Its
// architectures are resolved against the host (see hostArches). The
// default profile is shared between callers: do not modify it.
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
		return defaultProfile(host, s)
	}
	p, err := seccomp.LoadProfile(profile, s)
	if err != nil || p == nil {
		return p, err
	}
	p.Architectures = hostArches(p.Architectures, host)
	return p, nil
}

// defaultProfiles holds Docker's default profile resolved for a bounding
// set (the only input it depends on besides the kernel and the arch).
var defaultProfiles sync.Map // profileKey -> *specs.LinuxSeccomp

type profileKey struct {
	caps string // the bounding set, sorted and joined
	x32  bool
}

func defaultProfile(host *Host, s *specs.Spec) (*specs.LinuxSeccomp, error) {
	var bounding []string
	if s.Process != nil && s.Process.Capabilities != nil {
		bounding = slices.Clone(s.Process.Capabilities.Bounding)
	}
	slices.Sort(bounding)
	key := profileKey{caps: strings.Join(slices.Compact(bounding), ","), x32: host.X32}
	if p, ok := defaultProfiles.Load(key); ok {
		return p.(*specs.LinuxSeccomp), nil
	}
	p, err := seccomp.GetDefaultProfile(s)
	if err != nil {
		return nil, err
	}
	p.Architectures = hostArches(p.Architectures, host)
	defaultProfiles.Store(key, p)
	return p, nil
}

// hostArches drops the x32 sub-architecture where the kernel has no x32
// ABI (CONFIG_X86_X32_ABI unset, Debian's and most distributions' kernels).
// No x32 syscall runs either way, so nothing Docker's filter refuses is
// allowed: with it, the filter passes the allowed x32 syscalls to a kernel
// that answers ENOSYS and refuses the others with EPERM; without it,
// libseccomp's x86_64 program treats an x32 number as a foreign
// architecture and kills the thread (SIGSYS). In exchange libseccomp, in
// every container's init, compiles two architectures of ~370 rules
// instead of three: ~880 instructions instead of ~1,250, in about half
// the time (its generation grows faster than the program).
func hostArches(arches []specs.Arch, host *Host) []specs.Arch {
	if host.X32 || !slices.Contains(arches, specs.ArchX32) || !slices.Contains(arches, specs.ArchX86_64) {
		return arches
	}
	return slices.DeleteFunc(slices.Clone(arches), func(a specs.Arch) bool { return a == specs.ArchX32 })
}
