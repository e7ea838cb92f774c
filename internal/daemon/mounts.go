package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"

	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/mount"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/bundle"
	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/stringid"
	"github.com/tug-project/tug/internal/volume"
)

// planMounts turns a create request's mounts into mount points, naming
// the anonymous volumes. Nothing is created yet.
func (d *Daemon) planMounts(hc *apicontainer.HostConfig, volumes map[string]struct{}) ([]volume.MountPoint, error) {
	mps, err := volume.Plan(volume.Request{HostConfig: hc, Volumes: volumes, From: d.volumesFrom})
	if err != nil {
		return nil, err
	}
	for i := range mps {
		if mps[i].Type == mount.TypeVolume && mps[i].Name == "" {
			mps[i].Name = stringid.New()
		}
	}
	return mps, nil
}

// volumesFrom returns the mount points of the --volumes-from container ref.
func (d *Daemon) volumesFrom(ref string) ([]volume.MountPoint, error) {
	c, err := d.lookup(ref)
	if err != nil {
		// Not a 404: clients take that for a missing image and pull.
		return nil, errdefs.InvalidParameter("%s", err.Error())
	}
	c.Lock()
	defer c.Unlock()
	return append([]volume.MountPoint(nil), c.MountPoints...), nil
}

// acquireVolumes creates the volumes c's mount points name that do not
// exist yet and records c as their user; it returns the names of the
// volumes it created. On error it undoes what it did.
func (d *Daemon) acquireVolumes(c *container.Container) ([]string, error) {
	var created, reffed []string
	undo := func() {
		for _, n := range reffed {
			d.volumes.Unref(n, c.ID)
		}
		for _, n := range created {
			_ = d.volumes.Remove(n, true)
		}
	}
	for _, m := range c.MountPoints {
		if m.Type != mount.TypeVolume {
			continue
		}
		o := volume.CreateOptions{Driver: m.Driver, Options: m.DriverOpts, Labels: m.Labels}
		if m.Anonymous {
			o.Labels = map[string]string{volume.AnonymousLabel: ""}
		}
		v, isNew, err := d.volumes.Create(m.Name, o)
		if err != nil {
			undo()
			return nil, err
		}
		if isNew {
			created = append(created, v.Name)
		}
		if err := d.volumes.Ref(v.Name, c.ID); err != nil {
			undo()
			return nil, err
		}
		reffed = append(reffed, v.Name)
	}
	for _, n := range created {
		d.volumeEvent(apievents.ActionCreate, n, nil)
	}
	return created, nil
}

// releaseVolumes forgets c as a user of its volumes and, with anonymous,
// removes its anonymous volumes no other container uses (rm -v, --rm).
func (d *Daemon) releaseVolumes(ctx context.Context, c *container.Container, anonymous bool) {
	for _, m := range c.MountPoints {
		if m.Type != mount.TypeVolume {
			continue
		}
		d.volumes.Unref(m.Name, c.ID)
		if !anonymous || !m.Anonymous {
			continue
		}
		if err := d.volumes.Remove(m.Name, true); err != nil {
			if !errors.Is(err, errdefs.ErrConflict) {
				slog.WarnContext(ctx, "removing anonymous volume", "name", m.Name, "container", c.ID, "err", err)
			}
			continue
		}
		d.volumeEvent(apievents.ActionDestroy, m.Name, nil)
	}
}

// restoreVolumes records, at start, which containers use which volumes,
// and re-activates the volumes of running containers (a volume a
// container names but that a crash kept from being made is made now).
func (d *Daemon) restoreVolumes(ctx context.Context) {
	for _, c := range d.containers.List() {
		c.Lock()
		for _, m := range c.MountPoints {
			if m.Type != mount.TypeVolume {
				continue
			}
			o := volume.CreateOptions{Driver: m.Driver, Options: m.DriverOpts, Labels: m.Labels}
			if m.Anonymous {
				o.Labels = map[string]string{volume.AnonymousLabel: ""}
			}
			if _, _, err := d.volumes.Create(m.Name, o); err != nil {
				slog.WarnContext(ctx, "volume of a container", "name", m.Name, "container", c.ID, "err", err)
				continue
			}
			_ = d.volumes.Ref(m.Name, c.ID)
			if c.State.Running {
				if _, err := d.volumes.Mount(m.Name, c.ID); err != nil {
					slog.WarnContext(ctx, "mounting volume of a running container", "name", m.Name, "container", c.ID, "err", err)
				}
			}
		}
		c.Unlock()
	}
}

// mountOpts mounts c's volumes and returns the spec options of its mounts
// (binds, volumes, tmpfs, a read-only rootfs). A -v bind source that is
// missing is created as a directory, as Docker does.
func (d *Daemon) mountOpts(c *container.Container) (opts []oci.SpecOpt, retErr error) {
	var mounted []volume.MountPoint
	defer func() {
		if retErr != nil {
			for _, m := range mounted {
				_, _ = d.volumes.Unmount(m.Name, c.ID)
			}
		}
	}()
	mps := c.MountPoints
	if mps == nil && len(c.HostConfig.Binds) > 0 {
		// A container created before mount points were recorded.
		var err error
		if mps, err = volume.Plan(volume.Request{HostConfig: &apicontainer.HostConfig{Binds: c.HostConfig.Binds}}); err != nil {
			return nil, err
		}
	}
	var specMounts []specs.Mount
	for _, m := range mps {
		switch m.Type {
		case mount.TypeBind:
			if _, err := os.Stat(m.Source); os.IsNotExist(err) {
				if !m.CreateSource {
					return nil, errdefs.InvalidParameter("invalid mount config for type \"bind\": bind source path does not exist: %s", m.Source)
				}
				if err := os.MkdirAll(m.Source, 0o755); err != nil {
					return nil, err
				}
			}
			if err := volume.CheckPropagation(m.Source, m.Propagation); err != nil {
				return nil, err
			}
			specMounts = append(specMounts, specs.Mount{Destination: m.Destination, Type: "bind", Source: m.Source, Options: volume.SpecOptions(m)})
		case mount.TypeVolume:
			p, err := d.volumes.Mount(m.Name, c.ID)
			if err != nil {
				return nil, err
			}
			mounted = append(mounted, m)
			if p, err = volume.Subpath(p, m.Subpath); err != nil {
				return nil, err
			}
			specMounts = append(specMounts, specs.Mount{Destination: m.Destination, Type: "bind", Source: p, Options: volume.SpecOptions(m)})
		case mount.TypeTmpfs:
			o := []string{"nosuid", "nodev", "noexec"}
			if m.TmpfsOptions != "" {
				o = append(o, strings.Split(m.TmpfsOptions, ",")...)
			}
			specMounts = append(specMounts, specs.Mount{Destination: m.Destination, Type: "tmpfs", Source: "tmpfs", Options: o})
		}
	}
	opts = append(opts, oci.WithMounts(specMounts...))
	if p := volume.RootPropagation(mps); p != "" {
		opts = append(opts, oci.WithRootfsPropagation(p))
	}
	dsts := make([]string, 0, len(c.HostConfig.Tmpfs))
	for dst := range c.HostConfig.Tmpfs {
		dsts = append(dsts, dst)
	}
	sort.Strings(dsts)
	for _, dst := range dsts {
		opts = append(opts, oci.WithTmpfs(dst, c.HostConfig.Tmpfs[dst]))
	}
	if c.HostConfig.ReadonlyRootfs {
		opts = append(opts, oci.WithReadonlyRootfs(true))
	}
	for _, m := range mounted {
		d.volumeEvent(apievents.ActionMount, m.Name, map[string]string{
			"container": c.ID, "destination": m.Destination, "propagation": string(m.Propagation),
			"read/write": strconv.FormatBool(m.RW),
		})
	}
	return opts, nil
}

// unmountVolumes releases the mounts of c's volumes after its process
// ended (or its start failed); an unmount event is for a volume c had
// mounted.
func (d *Daemon) unmountVolumes(ctx context.Context, c *container.Container) {
	for _, m := range c.MountPoints {
		if m.Type != mount.TypeVolume {
			continue
		}
		mounted, err := d.volumes.Unmount(m.Name, c.ID)
		if err != nil {
			slog.WarnContext(ctx, "unmounting volume", "name", m.Name, "container", c.ID, "err", err)
		}
		if mounted {
			d.volumeEvent(apievents.ActionUnmount, m.Name, map[string]string{"container": c.ID})
		}
	}
}

// copyUpVolumes fills c's empty volumes from the image at their mount
// paths (rootfs mounted), unless nocopy.
func (d *Daemon) copyUpVolumes(c *container.Container, rootfs string) error {
	for _, m := range c.MountPoints {
		if m.Type != mount.TypeVolume || !m.CopyData || m.Subpath != "" {
			continue
		}
		if err := volume.CopyUp(rootfs, m.Destination, d.volumes.Path(m.Name)); err != nil {
			return fmt.Errorf("copying image content into volume %s: %w", m.Name, err)
		}
	}
	return nil
}

// mountPoints is what inspect shows of a container's mounts.
func (d *Daemon) mountPoints(c *container.Container) []apicontainer.MountPoint {
	out := []apicontainer.MountPoint{}
	for _, m := range c.MountPoints {
		p := ""
		if m.Type == mount.TypeVolume {
			p = d.volumes.Path(m.Name)
		}
		out = append(out, m.API(p))
	}
	return out
}

// mountForArchive mounts c's binds and volumes over its rootfs in tugd's
// namespace, as Docker does for cp, so the archive API reads and writes
// through them; the returned func unmounts them all.
func (d *Daemon) mountForArchive(c *container.Container, bdl bundle.Bundle) (func(), error) {
	user := "archive:" + c.ID
	var vols []string
	releaseVols := func() {
		for _, n := range vols {
			_, _ = d.volumes.Unmount(n, user)
		}
	}
	var binds []bundle.Bind
	for _, m := range c.MountPoints {
		src := m.Source
		switch m.Type {
		case mount.TypeBind:
		case mount.TypeVolume:
			p, err := d.volumes.Mount(m.Name, user)
			if err != nil {
				releaseVols()
				return nil, err
			}
			vols = append(vols, m.Name)
			if src, err = volume.Subpath(p, m.Subpath); err != nil {
				releaseVols()
				return nil, err
			}
		default:
			continue // a tmpfs has nothing while the container is stopped
		}
		binds = append(binds, bundle.Bind{Source: src, Destination: m.Destination, RW: m.RW})
	}
	unmount, err := bdl.MountBinds(binds)
	if err != nil {
		releaseVols()
		return nil, err
	}
	return func() { unmount(); releaseVols() }, nil
}
