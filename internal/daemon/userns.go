package daemon

import (
	"context"
	"os"

	apicontainer "github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/bundle"
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

// usernsOpts are the spec options of remap r for the bundle bdl (none
// for nil); they go after confinement, whose namespaces they read.
func usernsOpts(r *userns.Remap, bdl bundle.Bundle) []oci.SpecOpt {
	if r == nil {
		return nil
	}
	return r.SpecOpts(bdl.Sysfs())
}

// grantTraverse lets the remapped root reach dir below the data root.
func (d *Daemon) grantTraverse(dir string) error {
	if d.cfg.Remap == nil {
		return nil
	}
	_, gid := d.cfg.Remap.RootPair()
	return userns.GrantTraverse(dir, d.cfg.Root, gid)
}
