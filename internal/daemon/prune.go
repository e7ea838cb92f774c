package daemon

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"
	apiimage "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/filters"
	"github.com/tug-project/tug/internal/snapshot/overlay"
)

// ContainerPrune removes the containers that are not running (created,
// exited, dead) and pass the filters (until, label, label!).
func (d *Daemon) ContainerPrune(ctx context.Context, f filters.Args) (apicontainer.PruneReport, error) {
	rep := apicontainer.PruneReport{ContainersDeleted: []string{}}
	p, err := filters.NewPrune(f, time.Now())
	if err != nil {
		return rep, err
	}
	for _, c := range d.containers.List() {
		if ctx.Err() != nil {
			break
		}
		c.Lock()
		active := c.State.Running || c.State.Paused || c.State.Restarting ||
			c.State.Status == apicontainer.StateRestarting || c.State.Status == apicontainer.StateRemoving
		match := !active && p.Match(c.Created, c.Config.Labels) && !container.IsCRI(c.Config.Labels)
		c.Unlock()
		if !match {
			continue
		}
		size := d.snapshots.Usage(c.ID)
		// As Docker's: a pruned container's anonymous volumes stay (volume
		// prune takes them).
		if err := d.remove(ctx, c, false, false); err != nil {
			slog.WarnContext(ctx, "prune: removing container", "id", c.ID, "err", err)
			continue
		}
		rep.ContainersDeleted = append(rep.ContainersDeleted, c.ID)
		rep.SpaceReclaimed += uint64(size)
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionPrune, "", map[string]string{"reclaimed": strconv.FormatUint(rep.SpaceReclaimed, 10)})
	return rep, nil
}

// ImagePrune removes the images no container uses: the untagged ones, or
// with dangling=false all of them (`image prune -a`), that pass the
// filters (until, label, label!).
func (d *Daemon) ImagePrune(ctx context.Context, f filters.Args) (apiimage.PruneReport, error) {
	rep := apiimage.PruneReport{ImagesDeleted: []apiimage.DeleteResponse{}}
	p, err := filters.NewPrune(f, time.Now(), "dangling")
	if err != nil {
		return rep, err
	}
	danglingOnly := true
	for _, v := range f.Get("dangling") {
		switch v {
		case "false", "0":
			danglingOnly = false
		case "true", "1":
		default:
			return rep, errdefs.InvalidParameter("invalid filter 'dangling=%s'", v)
		}
	}
	imgs, err := d.images.List(ctx)
	if err != nil {
		return rep, err
	}
	used := d.containerCountByImage()
	before := d.layerSizes(ctx)
	for _, img := range imgs {
		if ctx.Err() != nil {
			break
		}
		if used[img.ID] > 0 || (danglingOnly && len(img.RepoTags) > 0) || !p.Match(img.Created, img.Config.Config.Labels) {
			continue
		}
		resp, err := d.ImageDelete(ctx, img.ID.String(), true, false)
		if err != nil {
			slog.WarnContext(ctx, "prune: removing image", "id", img.ID, "err", err)
		}
		rep.ImagesDeleted = append(rep.ImagesDeleted, resp...)
	}
	after := d.layerSizes(ctx)
	for chain, size := range before {
		if _, ok := after[chain]; !ok {
			rep.SpaceReclaimed += uint64(size)
		}
	}
	d.events.Publish(apievents.ImageEventType, apievents.ActionPrune, "", map[string]string{"reclaimed": strconv.FormatUint(rep.SpaceReclaimed, 10)})
	return rep, nil
}

// layerSizes maps every layer snapshot to its size.
func (d *Daemon) layerSizes(ctx context.Context) map[digest.Digest]int64 {
	out := map[digest.Digest]int64{}
	layers, err := d.snapshots.Layers(ctx)
	if err != nil {
		return out
	}
	for _, l := range layers {
		out[l.ChainID] = l.Size
	}
	return out
}

// imageChains are the chain IDs of an image's layers.
func imageChains(diffIDs []digest.Digest) []digest.Digest { return overlay.ChainIDs(diffIDs) }
