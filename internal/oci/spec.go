package oci

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SpecOpt changes one aspect of a spec.
type SpecOpt func(*specs.Spec) error

// DefaultPath is the PATH a container gets when its environment has none
// (Docker's default).
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// DefaultShmSize is the size of /dev/shm (Docker's default, 64 MiB).
const DefaultShmSize = 64 << 20

// maxNofile caps RLIMIT_NOFILE like containerd's default spec does.
const maxNofile = 1048576

// DefaultCapabilities is Docker's default capability set.
var DefaultCapabilities = []string{
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
}

// DefaultMaskedPaths are the paths Docker masks in every unprivileged container.
var DefaultMaskedPaths = []string{
	"/proc/asound",
	"/proc/acpi",
	"/proc/interrupts",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
}

// DefaultReadonlyPaths are the paths Docker makes read-only in every
// unprivileged container.
var DefaultReadonlyPaths = []string{
	"/proc/bus",
	"/proc/fs",
	"/proc/irq",
	"/proc/sys",
	"/proc/sysrq-trigger",
}

func i64(v int64) *int64 { return &v }

// defaultDevices is Docker's device cgroup rule set; runc adds the standard
// devices (/dev/null, /dev/zero, ..., pts, ptmx, tun) on top.
func defaultDevices() []specs.LinuxDeviceCgroup {
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(5), Access: "rwm"},     // /dev/zero
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},     // /dev/null
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(9), Access: "rwm"},     // /dev/urandom
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(8), Access: "rwm"},     // /dev/random
		{Allow: true, Type: "c", Major: i64(5), Minor: i64(0), Access: "rwm"},     // /dev/tty
		{Allow: true, Type: "c", Major: i64(5), Minor: i64(1), Access: "rwm"},     // /dev/console
		{Allow: false, Type: "c", Major: i64(10), Minor: i64(229), Access: "rwm"}, // /dev/fuse
	}
}

func defaultMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", fmt.Sprintf("size=%d", DefaultShmSize)}},
	}
}

// isCgroup2 reports whether the host runs the unified cgroup hierarchy only.
func isCgroup2() bool {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}

// nofileLimit returns RLIMIT_NOFILE min(1048576, current hard limit): the
// container never gets more than the host allows (raising a hard limit
// needs CAP_SYS_RESOURCE).
func nofileLimit() []specs.POSIXRlimit {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return nil
	}
	n := min(rl.Max, uint64(maxNofile))
	return []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: n, Soft: n}}
}

// New returns Docker's default Linux spec with opts applied in order.
func New(opts ...SpecOpt) (*specs.Spec, error) {
	caps := func() []string { return append([]string(nil), DefaultCapabilities...) }
	s := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{},
		Process: &specs.Process{
			Args: []string{},
			Env:  []string{DefaultPath},
			Cwd:  "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  caps(),
				Permitted: caps(),
				Effective: caps(),
			},
			Rlimits: nofileLimit(),
		},
		Mounts: defaultMounts(),
		Linux: &specs.Linux{
			MaskedPaths:   append([]string(nil), DefaultMaskedPaths...),
			ReadonlyPaths: append([]string(nil), DefaultReadonlyPaths...),
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.MountNamespace},
				{Type: specs.NetworkNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.PIDNamespace},
				{Type: specs.IPCNamespace},
			},
			Resources: &specs.LinuxResources{Devices: defaultDevices()},
		},
	}
	if isCgroup2() {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.Root.Path == "" {
		return nil, errors.New("oci: no root filesystem")
	}
	if len(s.Process.Args) == 0 {
		return nil, errors.New("oci: no command specified")
	}
	return s, nil
}

// WithRootfs sets the absolute path of the (already mounted) root filesystem.
func WithRootfs(path string) SpecOpt {
	return func(s *specs.Spec) error {
		if !filepath.IsAbs(path) {
			return fmt.Errorf("oci: rootfs %q is not absolute", path)
		}
		s.Root.Path = path
		return nil
	}
}

// WithReadonlyRootfs makes the root filesystem read-only.
func WithReadonlyRootfs(ro bool) SpecOpt {
	return func(s *specs.Spec) error {
		s.Root.Readonly = ro
		return nil
	}
}

// WithArgs sets the command and its arguments.
func WithArgs(args []string) SpecOpt {
	return func(s *specs.Spec) error {
		s.Process.Args = append([]string(nil), args...)
		return nil
	}
}

func envKey(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	return k
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if envKey(kv) == key {
			return true
		}
	}
	return false
}

// WithEnv sets the environment ("KEY=value" entries); PATH defaults to
// DefaultPath when missing. A HOME set earlier by WithUser is kept unless
// env sets its own.
func WithEnv(env []string) SpecOpt {
	return func(s *specs.Spec) error {
		out := append([]string(nil), env...)
		if !hasEnv(out, "PATH") {
			out = append(out, DefaultPath)
		}
		if !hasEnv(out, "HOME") {
			for _, kv := range s.Process.Env {
				if envKey(kv) == "HOME" {
					out = append(out, kv)
				}
			}
		}
		s.Process.Env = out
		return nil
	}
}

// WithCwd sets the working directory ("/" when empty).
func WithCwd(dir string) SpecOpt {
	return func(s *specs.Spec) error {
		if dir == "" {
			dir = "/"
		}
		if !filepath.IsAbs(dir) {
			return fmt.Errorf("oci: working directory %q is not absolute", dir)
		}
		s.Process.Cwd = dir
		return nil
	}
}

// WithTerminal gives the process a pseudo terminal.
func WithTerminal(tty bool) SpecOpt {
	return func(s *specs.Spec) error {
		s.Process.Terminal = tty
		return nil
	}
}

// WithConsoleSize sets the initial size of the terminal.
func WithConsoleSize(height, width uint) SpecOpt {
	return func(s *specs.Spec) error {
		if height == 0 && width == 0 {
			s.Process.ConsoleSize = nil
			return nil
		}
		s.Process.ConsoleSize = &specs.Box{Height: height, Width: width}
		return nil
	}
}

// WithHostname sets the hostname in the container's UTS namespace.
func WithHostname(name string) SpecOpt {
	return func(s *specs.Spec) error {
		s.Hostname = name
		return nil
	}
}

// WithDomainname sets the NIS domain name in the container's UTS namespace.
func WithDomainname(name string) SpecOpt {
	return func(s *specs.Spec) error {
		s.Domainname = name
		return nil
	}
}

// WithCgroupsPath sets the cgroup path, e.g. "/tug/<id>". The runtime uses
// "/tug/<id>" when it is empty.
func WithCgroupsPath(path string) SpecOpt {
	return func(s *specs.Spec) error {
		s.Linux.CgroupsPath = path
		return nil
	}
}

// WithAnnotations adds annotations.
func WithAnnotations(a map[string]string) SpecOpt {
	return func(s *specs.Spec) error {
		if len(a) == 0 {
			return nil
		}
		if s.Annotations == nil {
			s.Annotations = make(map[string]string, len(a))
		}
		for k, v := range a {
			s.Annotations[k] = v
		}
		return nil
	}
}

// WithLabels records container labels as annotations (like containerd does).
func WithLabels(labels map[string]string) SpecOpt {
	a := make(map[string]string, len(labels))
	for k, v := range labels {
		a[k] = v
	}
	return WithAnnotations(a)
}

// WithOOMScoreAdj sets the OOM score adjustment of the container's processes.
func WithOOMScoreAdj(adj int) SpecOpt {
	return func(s *specs.Spec) error {
		s.Process.OOMScoreAdj = &adj
		return nil
	}
}

// WithRlimits replaces the resource limits. Limits above the current hard
// limit cannot be set without CAP_SYS_RESOURCE and are lowered to it.
func WithRlimits(rl []specs.POSIXRlimit) SpecOpt {
	return func(s *specs.Spec) error {
		s.Process.Rlimits = append([]specs.POSIXRlimit(nil), rl...)
		return nil
	}
}

// WithNoNewPrivileges sets the no_new_privs bit of the process.
func WithNoNewPrivileges(v bool) SpecOpt {
	return func(s *specs.Spec) error {
		s.Process.NoNewPrivileges = v
		return nil
	}
}

// WithSysctls sets namespaced kernel parameters.
func WithSysctls(kv map[string]string) SpecOpt {
	return func(s *specs.Spec) error {
		if len(kv) == 0 {
			return nil
		}
		if s.Linux.Sysctl == nil {
			s.Linux.Sysctl = make(map[string]string, len(kv))
		}
		for k, v := range kv {
			s.Linux.Sysctl[k] = v
		}
		return nil
	}
}

// WithResources sets the cgroup resources, keeping the device rules.
func WithResources(r specs.LinuxResources) SpecOpt {
	return func(s *specs.Spec) error {
		devs := s.Linux.Resources.Devices
		r.Devices = append(devs, r.Devices...)
		s.Linux.Resources = &r
		return nil
	}
}
