package daemon

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	apievents "github.com/moby/moby/api/types/events"
	apivolume "github.com/moby/moby/api/types/volume"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/volume"
)

// VolumeCreate creates a volume, or returns the one of that name.
func (d *Daemon) VolumeCreate(ctx context.Context, req apivolume.CreateRequest) (apivolume.Volume, error) {
	if req.ClusterVolumeSpec != nil {
		return apivolume.Volume{}, errdefs.InvalidParameter("ClusterVolumeSpec: cluster volumes need swarm mode, which tug does not have")
	}
	v, created, err := d.volumes.Create(req.Name, volume.CreateOptions{Driver: req.Driver, Options: req.DriverOpts, Labels: req.Labels})
	if err != nil {
		return apivolume.Volume{}, err
	}
	if created {
		d.volumeEvent(apievents.ActionCreate, v.Name, nil)
	}
	return d.volumeAPI(v, false), nil
}

// VolumeInspect returns a volume.
func (d *Daemon) VolumeInspect(ctx context.Context, name string) (apivolume.Volume, error) {
	v, err := d.volumes.Get(name)
	if err != nil {
		return apivolume.Volume{}, err
	}
	return d.volumeAPI(v, false), nil
}

// VolumeList returns the volumes that pass the filters.
func (d *Daemon) VolumeList(ctx context.Context, opts backend.VolumeListOptions) (apivolume.ListResponse, error) {
	f, err := volume.NewListFilter(opts.Filters)
	if err != nil {
		return apivolume.ListResponse{}, err
	}
	out := apivolume.ListResponse{Volumes: []apivolume.Volume{}, Warnings: []string{}}
	for _, v := range d.volumes.List() {
		if f.Match(v, len(d.volumes.Users(v.Name)) > 0) {
			out.Volumes = append(out.Volumes, d.volumeAPI(v, false))
		}
	}
	return out, nil
}

// VolumeRemove removes an unused volume.
func (d *Daemon) VolumeRemove(ctx context.Context, name string, opts backend.VolumeRemoveOptions) error {
	if err := d.volumes.Remove(name, opts.Force); err != nil {
		return err
	}
	d.volumeEvent(apievents.ActionDestroy, name, nil)
	return nil
}

// VolumePrune removes the unused volumes that pass the filters: the
// anonymous ones, or all with all=true, as Docker 23+ does.
func (d *Daemon) VolumePrune(ctx context.Context, opts backend.VolumePruneOptions) (apivolume.PruneReport, error) {
	f, err := volume.NewPruneFilter(opts.Filters)
	if err != nil {
		return apivolume.PruneReport{}, err
	}
	rep := apivolume.PruneReport{VolumesDeleted: []string{}}
	for _, v := range d.volumes.List() {
		if len(d.volumes.Users(v.Name)) > 0 || !f.Match(v) {
			continue
		}
		size := d.volumes.Size(v.Name)
		if err := d.volumes.Remove(v.Name, false); err != nil {
			slog.DebugContext(ctx, "prune: volume kept", "name", v.Name, "err", err)
			continue
		}
		d.volumeEvent(apievents.ActionDestroy, v.Name, nil)
		rep.VolumesDeleted = append(rep.VolumesDeleted, v.Name)
		if size > 0 {
			rep.SpaceReclaimed += uint64(size)
		}
	}
	d.events.Publish(apievents.VolumeEventType, apievents.ActionPrune, "", map[string]string{"reclaimed": strconv.FormatUint(rep.SpaceReclaimed, 10)})
	return rep, nil
}

// volumeAPI is Docker's JSON of a volume, with UsageData when usage.
func (d *Daemon) volumeAPI(v volume.Volume, usage bool) apivolume.Volume {
	out := apivolume.Volume{
		Name: v.Name, Driver: v.Driver, Mountpoint: d.volumes.Path(v.Name),
		CreatedAt: v.CreatedAt.Local().Format(time.RFC3339), Labels: v.Labels, Options: v.Options, Scope: "local",
	}
	// Docker's null for none (whether the client sent {} or nothing).
	if len(out.Labels) == 0 {
		out.Labels = nil
	}
	if len(out.Options) == 0 {
		out.Options = nil
	}
	if usage {
		out.UsageData = &apivolume.UsageData{RefCount: int64(len(d.volumes.Users(v.Name))), Size: d.volumes.Size(v.Name)}
	}
	return out
}

func (d *Daemon) volumeEvent(action apievents.Action, name string, attrs map[string]string) {
	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs["driver"] = volume.DefaultDriver
	d.events.Publish(apievents.VolumeEventType, action, name, attrs)
}
