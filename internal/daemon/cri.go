package daemon

import (
	"context"
	"io"

	"github.com/distribution/reference"
	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/distribution"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
)

// CRIImages is the engine's side of the CRI image service (internal/cri):
// the same image store the Docker API uses.
type CRIImages struct{ d *Daemon }

// CRIImages returns the image backend of the CRI server.
func (d *Daemon) CRIImages() CRIImages { return CRIImages{d: d} }

// Images lists every image.
func (b CRIImages) Images(ctx context.Context) ([]*image.Image, error) {
	return b.d.images.List(ctx)
}

// Image finds an image by reference or ID.
func (b CRIImages) Image(ctx context.Context, ref string) (*image.Image, error) {
	return b.d.images.Get(ctx, ref)
}

// Pull pulls ref with auth, as `tug pull` does.
func (b CRIImages) Pull(ctx context.Context, ref reference.Named, auth *registry.AuthConfig) (*image.Image, error) {
	img, err := b.d.dist.Pull(ctx, distribution.PullOptions{Ref: ref, Auth: auth, Progress: io.Discard})
	if err != nil {
		return nil, err
	}
	b.d.events.Publish(apievents.ImageEventType, apievents.ActionPull, ref.String(), map[string]string{"name": ref.String()})
	return img, nil
}

// Remove deletes image id and all its references unless a container uses
// it.
func (b CRIImages) Remove(ctx context.Context, id digest.Digest) error {
	if ctr, _, used := b.d.imageUser(id); used {
		return errdefs.Conflict("image %s is in use by container %s", id, ctr)
	}
	_, err := b.d.ImageDelete(ctx, id.String(), true, false)
	return err
}

// Usage is the disk space and inodes of the image layers.
func (b CRIImages) Usage(ctx context.Context) (dir string, bytes, inodes uint64, err error) {
	return b.d.snapshots.LayersUsage()
}
