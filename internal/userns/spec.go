package userns

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/oci"
)

// SpecOpts are the spec options of a container remapped by r, applied
// after its namespaces are set: the user namespace and its mappings; a
// read-only sysfs of its network namespace, mounted at sysfsDir and bound
// at /sys, when it joins a network namespace tugd made (those belong to
// the host's user namespace, where the container cannot mount sysfs);
// and the user namespace of a container whose IPC or PID namespace it
// joins.
func (r *Remap) SpecOpts(sysfsDir string) []oci.SpecOpt {
	sysfs := func(s *specs.Spec) error {
		var nsPath string
		for _, ns := range s.Linux.Namespaces {
			if ns.Type == specs.NetworkNamespace {
				nsPath = ns.Path
			}
		}
		if nsPath == "" {
			return nil // a namespace of its own: the container mounts sysfs
		}
		if err := mount.SysfsInNetNS(nsPath, sysfsDir); err != nil {
			return err
		}
		return bindSysfs(s, sysfsDir)
	}
	return []oci.SpecOpt{oci.WithUserNamespace(r.UIDMappings(), r.GIDMappings()), sysfs, JoinPeerUserns}
}

// bindSysfs replaces the spec's sysfs at /sys by a read-only bind of dir,
// in place: /sys/fs/cgroup is mounted on it, after it.
func bindSysfs(s *specs.Spec, dir string) error {
	for i, m := range s.Mounts {
		if m.Destination == "/sys" {
			s.Mounts[i] = specs.Mount{Destination: "/sys", Type: "bind", Source: dir,
				Options: []string{"rbind", "ro", "nosuid", "nodev", "noexec"}}
			return nil
		}
	}
	return nil
}

// JoinPeerUserns makes a container that joins another container's IPC or
// PID namespace (/proc/PID/ns/...) join that container's user namespace
// too, as Docker does: those namespaces belong to it, and /proc or
// /dev/mqueue could not be mounted from another. A peer in the host's
// user namespace (--userns host) cannot be joined from a user namespace.
func JoinPeerUserns(s *specs.Spec) error {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type != specs.IPCNamespace && ns.Type != specs.PIDNamespace || !strings.HasPrefix(ns.Path, "/proc/") {
			continue
		}
		userns := filepath.Join(filepath.Dir(ns.Path), "user")
		peer, err := os.Readlink(userns)
		if err != nil {
			return err
		}
		if self, _ := os.Readlink("/proc/self/ns/user"); peer == self {
			return errdefs.InvalidParameter("cannot join the namespaces of a container that runs with --userns host from one in a user namespace")
		}
		for i := range s.Linux.Namespaces {
			if s.Linux.Namespaces[i].Type == specs.UserNamespace {
				s.Linux.Namespaces[i].Path = userns
			}
		}
		return nil
	}
	return nil
}

// GrantTraverse lets the remapped root (group gid) search dir and its
// parents up to root, where nobody else may (Docker gives its remapped
// tree root:<remapped gid> 0710): libcontainer's init, already in the user
// namespace, resolves the rootfs and bind sources by their paths.
func GrantTraverse(dir, root string, gid int) error {
	root = filepath.Clean(root)
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o001 == 0 {
			if err := os.Chown(p, -1, gid); err != nil {
				return fmt.Errorf("userns-remap: %w", err)
			}
			if err := os.Chmod(p, perm|0o010); err != nil {
				return fmt.Errorf("userns-remap: %w", err)
			}
		}
		if p == root || p == "/" || p == "." {
			return nil
		}
	}
}
