package confine

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/oci"
)

// InitPath is where the --init reaper is bind-mounted (Docker's path).
const InitPath = "/sbin/docker-init"

// Validate refuses, before anything is created, what tug or this host
// cannot do with hc's confinement fields, with Docker's texts. It fills
// the defaults Docker records at create (IpcMode "private", CgroupnsMode
// "host" on cgroup v1 and "private" on v2).
func Validate(hc *apicontainer.HostConfig, host *Host) error {
	inv := func(err error) error { return errdefs.InvalidParameter("%s", err) }
	if _, err := Capabilities(hc.CapAdd, hc.CapDrop, false, host.Bounding); err != nil {
		return err
	}
	so, err := ParseSecurityOptions(hc.SecurityOpt, host)
	if err != nil {
		return inv(err)
	}
	if so.Seccomp != "" && so.Seccomp != "unconfined" && so.Seccomp != "builtin" {
		s := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{}}}
		if _, err := Seccomp(so.Seccomp, false, host, s); err != nil {
			return inv(err)
		}
	}
	if hc.Init != nil && *hc.Init && host.InitBinary == "" {
		return errdefs.InvalidParameter("--init: the init binary (tug-init) is not installed next to tugd")
	}
	if _, err := Devices(hc.Devices); err != nil {
		return inv(err)
	}
	for _, r := range hc.DeviceCgroupRules {
		if _, err := DeviceCgroupRule(r); err != nil {
			return inv(err)
		}
	}
	if len(hc.DeviceRequests) > 0 {
		return errdefs.InvalidParameter("--gpus / DeviceRequests are not implemented by tug: could not select device driver %q with capabilities: %v", hc.DeviceRequests[0].Driver, hc.DeviceRequests[0].Capabilities)
	}

	switch {
	case hc.IpcMode == "":
		hc.IpcMode = "private"
	case !hc.IpcMode.Valid(), hc.IpcMode.IsContainer() && hc.IpcMode.Container() == "":
		return errdefs.InvalidParameter("invalid IPC mode: %v", hc.IpcMode)
	}
	if !hc.PidMode.Valid() || hc.PidMode.IsContainer() && hc.PidMode.Container() == "" {
		return errdefs.InvalidParameter("invalid PID mode: %v", hc.PidMode)
	}
	if hc.UTSMode != "" && !hc.UTSMode.IsHost() && utsContainer(hc.UTSMode) == "" {
		return errdefs.InvalidParameter("invalid UTS mode: %v", hc.UTSMode)
	}
	switch {
	case hc.CgroupnsMode == "" && host.Cgroup2:
		hc.CgroupnsMode = apicontainer.CgroupnsModePrivate
	case hc.CgroupnsMode == "":
		hc.CgroupnsMode = apicontainer.CgroupnsModeHost
	case !hc.CgroupnsMode.Valid():
		return errdefs.InvalidParameter("invalid cgroup namespace mode: %v", hc.CgroupnsMode)
	}
	if hc.Cgroup != "" {
		return errdefs.InvalidParameter("--cgroup %s: joining another container's cgroup is not implemented by tug", hc.Cgroup)
	}
	if !hc.UsernsMode.Valid() {
		return errdefs.InvalidParameter("invalid USER mode: %v", hc.UsernsMode)
	}
	ns := sharedNS{hostNet: hc.NetworkMode.IsHost(), hostIPC: hc.IpcMode.IsHost(), hostUTS: hc.UTSMode.IsHost()}
	if hc.NetworkMode.IsContainer() {
		ns.hostNet = false
	}
	for k := range hc.Sysctls {
		if err := validateSysctl(k, ns); err != nil {
			return inv(err)
		}
	}
	for _, p := range slices.Concat(hc.MaskedPaths, hc.ReadonlyPaths) {
		if !strings.HasPrefix(p, "/") {
			return errdefs.InvalidParameter("invalid masked or read-only path %q: must be absolute", p)
		}
	}
	return nil
}

// ValidateRemapped refuses, with Docker's texts, what cannot run in a user
// namespace when the daemon remaps (userns-remap) and hc does not opt out
// with --userns host: privileged mode, the host's network, PID or IPC
// namespace.
func ValidateRemapped(hc *apicontainer.HostConfig) error {
	if hc.UsernsMode.IsHost() {
		return nil
	}
	switch {
	case hc.Privileged:
		return errdefs.InvalidParameter("privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode")
	case hc.NetworkMode.IsHost():
		return errdefs.InvalidParameter("cannot share the host's network namespace when user namespaces are enabled")
	case hc.PidMode.IsHost():
		return errdefs.InvalidParameter("cannot share the host PID namespace when user namespaces are enabled")
	case hc.IpcMode.IsHost():
		// Docker lets it through and fails at start: mqueue cannot be
		// mounted for the host's IPC namespace from a user namespace.
		return errdefs.InvalidParameter("cannot share the host IPC namespace when user namespaces are enabled")
	}
	return nil
}

// Peer is another container a container shares a namespace with
// (--ipc container:X, --pid container:X).
type Peer struct {
	ID      string
	Pid     int // host pid of its init; 0 when not running
	IpcMode apicontainer.IpcMode
}

// Config is what SpecOpt needs besides the HostConfig.
type Config struct {
	Host   *Host
	Init   bool                           // daemon.json "init": the default when HostConfig.Init is nil
	Lookup func(ref string) (Peer, error) // resolves container:X
}

// SpecOpt returns the spec option that confines a container as hc says.
// It runs after the process, user and mounts are in the spec: it adjusts
// those (capabilities, supplementary groups, /dev/shm, the init's args)
// and adds the seccomp filter last, for the final capability set.
func SpecOpt(hc *apicontainer.HostConfig, cfg Config) (oci.SpecOpt, error) {
	so, err := ParseSecurityOptions(hc.SecurityOpt, cfg.Host)
	if err != nil {
		return nil, errdefs.InvalidParameter("%s", err)
	}
	caps, err := Capabilities(hc.CapAdd, hc.CapDrop, hc.Privileged, cfg.Host.Bounding)
	if err != nil {
		return nil, err
	}
	devs, err := Devices(hc.Devices)
	if err != nil {
		return nil, errdefs.InvalidParameter("%s", err)
	}
	var rules []specs.LinuxDeviceCgroup
	for _, r := range hc.DeviceCgroupRules {
		rule, err := DeviceCgroupRule(r)
		if err != nil {
			return nil, errdefs.InvalidParameter("%s", err)
		}
		rules = append(rules, rule)
	}
	nsOpts, err := namespaceOpts(hc, cfg.Lookup)
	if err != nil {
		return nil, err
	}
	useInit := cfg.Init
	if hc.Init != nil {
		useInit = *hc.Init
	}
	if useInit && cfg.Host.InitBinary == "" {
		return nil, errdefs.InvalidParameter("--init: the init binary (tug-init) is not installed next to tugd")
	}

	return func(s *specs.Spec) error {
		for _, o := range nsOpts {
			if err := o(s); err != nil {
				return err
			}
		}
		if hc.Privileged {
			if err := oci.WithPrivileged()(s); err != nil {
				return err
			}
			devs = append(HostDevices(), devs...)
		}
		s.Process.Capabilities = &specs.LinuxCapabilities{
			Bounding:  caps,
			Permitted: slices.Clone(caps),
			Effective: slices.Clone(caps),
		}
		if hc.MaskedPaths != nil {
			s.Linux.MaskedPaths = slices.Clone(hc.MaskedPaths)
		}
		if hc.ReadonlyPaths != nil {
			s.Linux.ReadonlyPaths = slices.Clone(hc.ReadonlyPaths)
		}
		if so.WritableCgroups {
			for i, m := range s.Mounts {
				if m.Destination == "/sys/fs/cgroup" {
					s.Mounts[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
				}
			}
		}
		for _, d := range devs {
			s.Linux.Devices = slices.DeleteFunc(s.Linux.Devices, func(o specs.LinuxDevice) bool { return o.Path == d.Node.Path })
			s.Linux.Devices = append(s.Linux.Devices, d.Node)
			if d.Rule.Access != "" && !hc.Privileged {
				s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, d.Rule)
			}
		}
		if !hc.Privileged {
			s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, rules...)
		}
		if err := oci.WithAdditionalGroups(s.Root.Path, hc.GroupAdd)(s); err != nil {
			return err
		}
		if len(hc.Sysctls) > 0 {
			if err := oci.WithSysctls(hc.Sysctls)(s); err != nil {
				return err
			}
		}
		s.Process.NoNewPrivileges = so.NoNewPrivileges
		if useInit {
			s.Process.Args = append([]string{InitPath, "--"}, s.Process.Args...)
			if err := oci.WithBindMount(cfg.Host.InitBinary, InitPath, true)(s); err != nil {
				return err
			}
		}
		sc, err := Seccomp(so.Seccomp, hc.Privileged, cfg.Host, s)
		if err != nil {
			return errdefs.InvalidParameter("%s", err)
		}
		s.Linux.Seccomp = sc
		return nil
	}, nil
}

// namespaceOpts are the spec options of --ipc, --pid, --uts and --cgroupns.
func namespaceOpts(hc *apicontainer.HostConfig, lookup func(string) (Peer, error)) ([]oci.SpecOpt, error) {
	var opts []oci.SpecOpt
	peer := func(ref, what string) (Peer, error) {
		if lookup == nil {
			return Peer{}, errors.New("no container lookup")
		}
		p, err := lookup(ref)
		if err != nil {
			return p, err
		}
		if p.Pid == 0 {
			return p, errdefs.Conflict("cannot join %s of a non running container: %s", what, ref)
		}
		return p, nil
	}
	switch ipc := hc.IpcMode; {
	case ipc.IsHost():
		opts = append(opts, oci.WithHostNamespace(specs.IPCNamespace), oci.WithBindMount("/dev/shm", "/dev/shm", false))
	case ipc.IsContainer():
		p, err := peer(ipc.Container(), "IPC")
		if err != nil {
			return nil, err
		}
		if !p.IpcMode.IsShareable() {
			return nil, errdefs.Conflict("non-shareable IPC (hint: use IpcMode:shareable for the donor container)")
		}
		// The namespace (System V IPC, POSIX message queues) is shared;
		// /dev/shm is not: the donor's is a tmpfs in its own mount
		// namespace, which cannot be bind-mounted from here (Docker keeps
		// a shareable container's /dev/shm on the host for that).
		opts = append(opts, oci.WithNamespacePath(specs.IPCNamespace, "/proc/"+strconv.Itoa(p.Pid)+"/ns/ipc"))
	case ipc.IsNone():
		opts = append(opts, func(s *specs.Spec) error {
			s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/dev/shm" })
			return nil
		})
	}
	switch pid := hc.PidMode; {
	case pid.IsHost():
		opts = append(opts, oci.WithHostNamespace(specs.PIDNamespace))
	case pid.IsContainer():
		p, err := peer(pid.Container(), "PID")
		if err != nil {
			return nil, err
		}
		opts = append(opts, oci.WithNamespacePath(specs.PIDNamespace, fmt.Sprintf("/proc/%d/ns/pid", p.Pid)))
	}
	if hc.UTSMode.IsHost() {
		opts = append(opts, oci.WithHostNamespace(specs.UTSNamespace), func(s *specs.Spec) error {
			s.Hostname, s.Domainname = "", ""
			return nil
		})
	}
	if ref := utsContainer(hc.UTSMode); ref != "" {
		p, err := peer(ref, "UTS")
		if err != nil {
			return nil, err
		}
		opts = append(opts, oci.WithNamespacePath(specs.UTSNamespace, fmt.Sprintf("/proc/%d/ns/uts", p.Pid)), func(s *specs.Spec) error {
			s.Hostname, s.Domainname = "", "" // the peer's
			return nil
		})
	}
	switch {
	case hc.CgroupnsMode.IsPrivate():
		opts = append(opts, oci.WithNamespacePath(specs.CgroupNamespace, ""))
	case hc.CgroupnsMode.IsHost():
		opts = append(opts, oci.WithHostNamespace(specs.CgroupNamespace))
	}
	return opts, nil
}

// utsContainer is the container of a "container:<id>" UTS mode, which
// only the CRI uses (a pod's containers share its pause container's UTS
// namespace; the Engine API refuses it, as Docker does), or "".
func utsContainer(m apicontainer.UTSMode) string {
	id, _ := strings.CutPrefix(string(m), "container:")
	if id == string(m) {
		return ""
	}
	return id
}
