package daemon

import (
	"context"
	"slices"
	"time"

	"github.com/moby/moby/api/types/build"
	apicontainer "github.com/moby/moby/api/types/container"
	apiimage "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/volume"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/errdefs"
)

// SystemDiskUsage answers GET /system/df: every layer is counted once in
// LayersSize, and each image's SharedSize is what it shares with others.
func (d *Daemon) SystemDiskUsage(ctx context.Context, opts backend.DiskUsageOptions) (*backend.DiskUsage, error) {
	want := func(t string) bool { return len(opts.Types) == 0 || slices.Contains(opts.Types, t) }
	for _, t := range opts.Types {
		switch t {
		case "container", "image", "volume", "build-cache":
		default:
			return nil, errdefs.InvalidParameter("unknown object type: %s", t)
		}
	}
	du := &backend.DiskUsage{Images: []apiimage.Summary{}, Containers: []apicontainer.Summary{}, Volumes: []volume.Volume{}} // BuildCache: Docker's null when empty
	if want("image") {
		if err := d.imageUsage(ctx, du); err != nil {
			return nil, err
		}
	}
	if want("container") {
		now := time.Now()
		for _, c := range d.containers.List() {
			c.Lock()
			s := d.summary(c, now, true)
			c.Unlock()
			du.Containers = append(du.Containers, s)
		}
	}
	if want("build-cache") {
		if b, err := d.builder(ctx); err == nil {
			usage, err := b.Usage(ctx)
			if err != nil {
				return nil, err
			}
			for _, u := range usage {
				du.BuildCache = append(du.BuildCache, build.CacheRecord{
					ID: u.Key.Encoded()[:25], Type: "regular", Size: u.Size, Shared: u.Shared,
				})
			}
		}
	}
	if want("volume") {
		// With UsageData (size and reference count), as Docker's df.
		for _, v := range d.volumes.List() {
			du.Volumes = append(du.Volumes, d.volumeAPI(v, true))
		}
	}
	return du, nil
}

// imageUsage fills the images and LayersSize of du.
func (d *Daemon) imageUsage(ctx context.Context, du *backend.DiskUsage) error {
	imgs, err := d.images.List(ctx)
	if err != nil {
		return err
	}
	sizes := d.layerSizes(ctx)
	users := map[digest.Digest]int{} // chain -> images using it
	for _, img := range imgs {
		for _, c := range imageChains(img.Config.RootFS.DiffIDs) {
			users[c]++
		}
	}
	for c := range users {
		du.LayersSize += sizes[c]
	}
	counts := d.containerCountByImage()
	for _, img := range imgs {
		var shared int64
		for _, c := range imageChains(img.Config.RootFS.DiffIDs) {
			if users[c] > 1 {
				shared += sizes[c]
			}
		}
		du.Images = append(du.Images, apiimage.Summary{
			ID:          img.ID.String(),
			RepoTags:    nonNil(img.RepoTags),
			RepoDigests: nonNil(img.RepoDigests),
			Created:     img.Created.Unix(),
			Size:        img.Size,
			SharedSize:  shared,
			Labels:      img.Config.Config.Labels,
			Containers:  int64(counts[img.ID]),
		})
	}
	return nil
}
