package volume

import (
	"context"

	apivolume "github.com/moby/moby/api/types/volume"

	"github.com/tug-project/tug/internal/api/backend"
)

// Backend is what the volume router needs from the engine.
type Backend interface {
	VolumeList(ctx context.Context, opts backend.VolumeListOptions) (apivolume.ListResponse, error)
	VolumeInspect(ctx context.Context, name string) (apivolume.Volume, error)
	VolumeCreate(ctx context.Context, req apivolume.CreateRequest) (apivolume.Volume, error)
	VolumeRemove(ctx context.Context, name string, opts backend.VolumeRemoveOptions) error
	VolumePrune(ctx context.Context, opts backend.VolumePruneOptions) (apivolume.PruneReport, error)
}
