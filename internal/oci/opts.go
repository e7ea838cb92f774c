package oci

import (
	"fmt"
	"path"
	"slices"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/errdefs"
)

func setNamespace(s *specs.Spec, ns specs.LinuxNamespace) {
	for i, n := range s.Linux.Namespaces {
		if n.Type == ns.Type {
			s.Linux.Namespaces[i] = ns
			return
		}
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, ns)
}

func removeNamespace(s *specs.Spec, t specs.LinuxNamespaceType) {
	s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == t })
}

// WithNetworkNone gives the container a fresh network namespace holding
// only the loopback interface (brought up by the runtime).
func WithNetworkNone() SpecOpt {
	return func(s *specs.Spec) error {
		setNamespace(s, specs.LinuxNamespace{Type: specs.NetworkNamespace})
		return nil
	}
}

// WithHostNetwork shares the host's network namespace.
func WithHostNetwork() SpecOpt {
	return func(s *specs.Spec) error {
		removeNamespace(s, specs.NetworkNamespace)
		return nil
	}
}

// WithNetNSPath joins the network namespace at path (e.g. /var/run/netns/x
// or /proc/<pid>/ns/net).
func WithNetNSPath(p string) SpecOpt {
	return func(s *specs.Spec) error {
		setNamespace(s, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: p})
		return nil
	}
}

// WithNamespacePath joins an existing namespace of type t (e.g. --ipc
// container:x); an empty path creates a fresh one.
func WithNamespacePath(t specs.LinuxNamespaceType, p string) SpecOpt {
	return func(s *specs.Spec) error {
		setNamespace(s, specs.LinuxNamespace{Type: t, Path: p})
		return nil
	}
}

// WithUserNamespace runs the container in a new user namespace with the
// given uid and gid mappings (daemon.json userns-remap).
func WithUserNamespace(uids, gids []specs.LinuxIDMapping) SpecOpt {
	return func(s *specs.Spec) error {
		setNamespace(s, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = slices.Clone(uids)
		s.Linux.GIDMappings = slices.Clone(gids)
		return nil
	}
}

// WithHostNamespace shares the host's namespace of type t (--pid host, --ipc host, --uts host).
func WithHostNamespace(t specs.LinuxNamespaceType) SpecOpt {
	return func(s *specs.Spec) error {
		removeNamespace(s, t)
		return nil
	}
}

// WithMounts adds mounts, replacing default mounts at the same destination.
func WithMounts(mounts ...specs.Mount) SpecOpt {
	return func(s *specs.Spec) error {
		for _, m := range mounts {
			if !path.IsAbs(m.Destination) {
				return errdefs.InvalidParameter("invalid mount config: mount path must be absolute: %s", m.Destination)
			}
			dst := path.Clean(m.Destination)
			s.Mounts = slices.DeleteFunc(s.Mounts, func(o specs.Mount) bool { return path.Clean(o.Destination) == dst })
			s.Mounts = append(s.Mounts, m)
		}
		return nil
	}
}

// WithBindMount bind-mounts the host path src at dst (used for /etc/hosts,
// /etc/hostname, /etc/resolv.conf and volumes).
func WithBindMount(src, dst string, readonly bool) SpecOpt {
	opts := []string{"rbind", "rprivate"}
	if readonly {
		opts = append(opts, "ro")
	}
	return WithMounts(specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opts})
}

// WithTmpfs mounts a tmpfs at dst with the given options ("size=64m,mode=1777").
func WithTmpfs(dst, options string) SpecOpt {
	opts := []string{"nosuid", "nodev", "noexec"}
	if options != "" {
		opts = append(opts, strings.Split(options, ",")...)
	}
	return WithMounts(specs.Mount{Destination: dst, Type: "tmpfs", Source: "tmpfs", Options: opts})
}

// WithShmSize sets the size of /dev/shm in bytes.
func WithShmSize(size int64) SpecOpt {
	return func(s *specs.Spec) error {
		if size <= 0 {
			return nil
		}
		for i, m := range s.Mounts {
			if m.Destination != "/dev/shm" {
				continue
			}
			m.Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return strings.HasPrefix(o, "size=") })
			s.Mounts[i].Options = append(m.Options, fmt.Sprintf("size=%d", size))
		}
		return nil
	}
}

// WithUser sets the user the process runs as: "", "uid", "uid:gid",
// "name", "name:group" (names resolved from the rootfs's /etc/passwd and
// /etc/group), with supplementary groups from /etc/group and HOME from
// /etc/passwd when the environment has none.
func WithUser(rootfs, spec string) SpecOpt {
	return func(s *specs.Spec) error {
		passwd, err := securejoin.SecureJoin(rootfs, "/etc/passwd")
		if err != nil {
			return err
		}
		group, err := securejoin.SecureJoin(rootfs, "/etc/group")
		if err != nil {
			return err
		}
		eu, err := user.GetExecUserPath(spec, &user.ExecUser{Home: "/"}, passwd, group)
		if err != nil {
			// "unable to find user x: no matching entries in passwd file", like Docker.
			return errdefs.InvalidParameter("%s", err.Error())
		}
		s.Process.User = specs.User{UID: uint32(eu.Uid), GID: uint32(eu.Gid)}
		for _, g := range eu.Sgids {
			if uint32(g) != s.Process.User.GID {
				s.Process.User.AdditionalGids = append(s.Process.User.AdditionalGids, uint32(g))
			}
		}
		if !hasEnv(s.Process.Env, "HOME") {
			s.Process.Env = append(s.Process.Env, "HOME="+eu.Home)
		}
		return nil
	}
}

// WithAdditionalGroups adds supplementary groups (--group-add): numeric ids
// or names from the rootfs's /etc/group.
func WithAdditionalGroups(rootfs string, groups []string) SpecOpt {
	return func(s *specs.Spec) error {
		if len(groups) == 0 {
			return nil
		}
		gpath, err := securejoin.SecureJoin(rootfs, "/etc/group")
		if err != nil {
			return err
		}
		gids, err := user.GetAdditionalGroupsPath(groups, gpath)
		if err != nil {
			return errdefs.InvalidParameter("%s", err.Error())
		}
		for _, g := range gids {
			if !slices.Contains(s.Process.User.AdditionalGids, uint32(g)) {
				s.Process.User.AdditionalGids = append(s.Process.User.AdditionalGids, uint32(g))
			}
		}
		return nil
	}
}

func normalizeCap(c string) string {
	c = strings.ToUpper(c)
	if c == "ALL" || strings.HasPrefix(c, "CAP_") {
		return c
	}
	return "CAP_" + c
}

// WithCapabilities applies Docker's --cap-add/--cap-drop to the default set
// ("ALL" allowed in either; names with or without the CAP_ prefix).
func WithCapabilities(add, drop []string) SpecOpt {
	return func(s *specs.Spec) error {
		set := slices.Clone(s.Process.Capabilities.Bounding)
		norm := func(l []string) []string {
			out := make([]string, 0, len(l))
			for _, c := range l {
				out = append(out, normalizeCap(c))
			}
			return out
		}
		addN, dropN := norm(add), norm(drop)
		if slices.Contains(dropN, "ALL") {
			set = nil
		}
		if slices.Contains(addN, "ALL") {
			set = slices.Clone(AllCapabilities)
		}
		for _, c := range addN {
			if c != "ALL" && !slices.Contains(set, c) {
				set = append(set, c)
			}
		}
		set = slices.DeleteFunc(set, func(c string) bool { return slices.Contains(dropN, c) && !slices.Contains(addN, c) })
		s.Process.Capabilities.Bounding = set
		s.Process.Capabilities.Permitted = slices.Clone(set)
		s.Process.Capabilities.Effective = slices.Clone(set)
		return nil
	}
}

// AllCapabilities lists every capability the runtime knows, by number
// (CAP_CHOWN is 0).
var AllCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// WithPrivileged gives the container all capabilities, no masked or
// read-only paths, read-write /sys and access to all devices (the host's
// devices themselves are the daemon's job).
func WithPrivileged() SpecOpt {
	return func(s *specs.Spec) error {
		s.Process.Capabilities.Bounding = slices.Clone(AllCapabilities)
		s.Process.Capabilities.Permitted = slices.Clone(AllCapabilities)
		s.Process.Capabilities.Effective = slices.Clone(AllCapabilities)
		s.Linux.MaskedPaths = nil
		s.Linux.ReadonlyPaths = nil
		s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
		for i, m := range s.Mounts {
			if m.Destination == "/sys" || m.Destination == "/sys/fs/cgroup" {
				s.Mounts[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
				s.Mounts[i].Options = append(s.Mounts[i].Options, "rw")
			}
		}
		return nil
	}
}

// WithRootfsPropagation sets the propagation of the container's root mount
// (rshared, rslave, ...).
func WithRootfsPropagation(p string) SpecOpt {
	return func(s *specs.Spec) error {
		if s.Linux == nil {
			s.Linux = &specs.Linux{}
		}
		s.Linux.RootfsPropagation = p
		return nil
	}
}
