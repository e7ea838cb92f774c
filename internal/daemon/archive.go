package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/volume"
)

// withRootfs runs fn on c's root filesystem with c locked (as Docker
// does): the running container's mount, or a temporary mount of its
// snapshot, unmounted afterwards.
func (d *Daemon) withRootfs(ctx context.Context, ref string, fn func(c *container.Container, rootfs string) error) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if c.State.Status == apicontainer.StateRemoving || c.State.Dead {
		return errdefs.Conflict("container %s is marked for removal", c.ID)
	}
	bdl := d.bundle(c.ID)
	if !c.State.Running || d.task(c.ID) == nil {
		mounts, err := d.rootfsMounts(ctx, c.ID, d.remapOf(c.HostConfig))
		if err != nil {
			return fmt.Errorf("rootfs of %s: %w", c.ID, err)
		}
		if err := bdl.Mount(mounts); err != nil {
			return err
		}
		defer func() { _ = bdl.Unmount() }()
	}
	rootfs := bdl.Rootfs()
	release, err := d.mountForArchive(c, bdl)
	if err != nil {
		return err
	}
	defer release()
	return fn(c, rootfs)
}

// fileNotFound maps a path the archive package did not find to Docker's
// error.
func fileNotFound(err error, ref string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
		return errdefs.NotFound("Could not find the file %s in container %s", pe.Path, ref)
	}
	return err
}

func pathStat(st archive.PathStat) *apicontainer.PathStat {
	return &apicontainer.PathStat{Name: st.Name, Size: st.Size, Mode: st.Mode, Mtime: st.Mtime, LinkTarget: st.LinkTarget}
}

// ContainerStatPath describes a path in a container's filesystem.
func (d *Daemon) ContainerStatPath(ctx context.Context, ref, p string) (st *apicontainer.PathStat, err error) {
	err = d.withRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		s, err := archive.StatPath(rootfs, p)
		if err != nil {
			return fileNotFound(err, ref)
		}
		st = pathStat(s)
		return nil
	})
	return st, err
}

// ContainerArchivePath writes a tar of a path in a container's filesystem.
func (d *Daemon) ContainerArchivePath(ctx context.Context, ref, p string, out func(*apicontainer.PathStat) io.Writer) error {
	return d.withRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		err := archive.TarPath(ctx, rootfs, p, d.idsOf(c.HostConfig), func(st archive.PathStat) io.Writer { return out(pathStat(st)) })
		return fileNotFound(err, ref)
	})
}

// ContainerExtractToDir extracts a tar (plain or compressed) into a directory of a container's
// filesystem. The path is resolved inside the rootfs (its last element
// too), entries can never leave it, and they belong to root (with
// CopyUIDGID: to the container's user), as with Docker.
func (d *Daemon) ContainerExtractToDir(ctx context.Context, ref, p string, opts backend.ContainerExtractOptions, content io.Reader) error {
	return d.withRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		dir, err := archive.ResolveDir(rootfs, p)
		switch {
		case errors.Is(err, archive.ErrNotDir):
			return errdefs.InvalidParameter("%s", err.Error())
		case err != nil:
			return fileNotFound(err, ref)
		}
		if err := volume.WritableAt(c.MountPoints, p, c.HostConfig.ReadonlyRootfs); err != nil {
			return err
		}
		uid, gid := 0, 0
		if opts.CopyUIDGID && c.Config.User != "" {
			s := &specs.Spec{Process: &specs.Process{}}
			if err := oci.WithUser(rootfs, c.Config.User)(s); err != nil {
				return err
			}
			uid, gid = int(s.Process.User.UID), int(s.Process.User.GID)
		}
		// The archive may be compressed (gzip, bzip2, zstd), as Docker
		// accepts it.
		dr, _, err := archive.DecompressStream(content)
		if err != nil {
			return errdefs.InvalidParameter("%s", err.Error())
		}
		defer dr.Close()
		r := archive.Chown(dr, uid, gid)
		defer r.Close()
		if err := archive.Unpack(ctx, r, dir, archive.Options{NoWhiteouts: true, IDs: d.idsOf(c.HostConfig)}); err != nil {
			return errdefs.InvalidParameter("%s", err.Error())
		}
		return nil
	})
}

// ContainerChanges lists what a container changed on top of its image.
func (d *Daemon) ContainerChanges(ctx context.Context, ref string) ([]apicontainer.FilesystemChange, error) {
	c, err := d.lookup(ref)
	if err != nil {
		return nil, err
	}
	changes, err := d.snapshots.Changes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := make([]apicontainer.FilesystemChange, 0, len(changes))
	for _, ch := range changes {
		out = append(out, apicontainer.FilesystemChange{Kind: apicontainer.ChangeType(ch.Kind), Path: ch.Path})
	}
	return out, nil
}
