package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/bundle"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/userns"
)

// remapOf is the remapping a container with hc runs under: the daemon's
// userns-remap, unless the container opts out with --userns host.
func (d *Daemon) remapOf(hc *apicontainer.HostConfig) *userns.Remap {
	if d.cfg.Remap == nil || hc != nil && hc.UsernsMode.IsHost() {
		return nil
	}
	return d.cfg.Remap
}

// idsOf translates the owners of files of a container with hc between
// the host and its tars (commit, export, cp); nil without remapping.
func (d *Daemon) idsOf(hc *apicontainer.HostConfig) archive.IDMap {
	if r := d.remapOf(hc); r != nil {
		return r
	}
	return nil
}

// rootfsMounts returns the mounts of the snapshot key for a container
// under remap r (nil: none). Remapped, the image's layers are id-mapped
// into the overlay (shared with every other container, unchanged on disk)
// and the upper dir's root is owned by the remapped root, so the
// container's root owns its / as in Docker's remapped layer store.
func (d *Daemon) rootfsMounts(ctx context.Context, key string, r *userns.Remap) ([]mount.Mount, error) {
	mounts, err := d.snapshots.Mounts(ctx, key)
	if err != nil {
		return nil, err
	}
	return d.remapRootfs(key, mounts, r)
}

func (d *Daemon) remapRootfs(key string, mounts []mount.Mount, r *userns.Remap) ([]mount.Mount, error) {
	if r == nil {
		return mounts, nil
	}
	upper, err := d.snapshots.UpperDir(key)
	if err != nil {
		return nil, err
	}
	uid, gid := r.RootPair()
	if err := os.Lchown(upper, uid, gid); err != nil {
		return nil, err
	}
	for i := range mounts {
		if mounts[i].Type == "overlay" {
			mounts[i].IDMap = r.MountIDMap()
		}
	}
	return mounts, nil
}

// usernsOpts are the spec options of remap r for the bundle bdl: the user
// namespace and its mappings, and, when the container joins a network
// namespace tugd made (owned by the host's user namespace, where the
// container cannot mount sysfs), a read-only sysfs of that namespace
// mounted by tugd and bound at /sys. None for nil.
func usernsOpts(r *userns.Remap, bdl bundle.Bundle) []oci.SpecOpt {
	if r == nil {
		return nil
	}
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
		if err := mount.SysfsInNetNS(nsPath, bdl.Sysfs()); err != nil {
			return err
		}
		// In place: /sys/fs/cgroup is mounted on it, after it.
		for i, m := range s.Mounts {
			if m.Destination == "/sys" {
				s.Mounts[i] = specs.Mount{Destination: "/sys", Type: "bind", Source: bdl.Sysfs(),
					Options: []string{"rbind", "ro", "nosuid", "nodev", "noexec"}}
			}
		}
		return nil
	}
	return []oci.SpecOpt{oci.WithUserNamespace(r.UIDMappings(), r.GIDMappings()), sysfs, joinPeerUserns}
}

// joinPeerUserns makes a container that joins another container's IPC or
// PID namespace (--ipc/--pid container:X) join its user namespace too, as
// Docker does: those namespaces belong to X's user namespace, and /proc
// or /dev/mqueue could not be mounted from another.
func joinPeerUserns(s *specs.Spec) error {
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

// grantTraverse lets the remapped root search dir and its parents up to
// the data root (Docker's root:<remapped gid> 0710 on its remapped
// tree): libcontainer's init, already in the user namespace, resolves
// the rootfs and bind sources by their paths below them.
func (d *Daemon) grantTraverse(dir string) error {
	if d.cfg.Remap == nil {
		return nil
	}
	_, gid := d.cfg.Remap.RootPair()
	root := filepath.Clean(d.cfg.Root)
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chown(p, -1, gid); err != nil {
				return fmt.Errorf("userns-remap: %w", err)
			}
			if err := os.Chmod(p, fi.Mode().Perm()|0o010); err != nil {
				return fmt.Errorf("userns-remap: %w", err)
			}
		}
		if p == root || p == "/" || p == "." {
			return nil
		}
	}
}
