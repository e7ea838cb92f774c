package system

import (
	"context"
	"testing"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/api/backend"
)

func (f *fakeBackend) SystemDiskUsage(ctx context.Context, opts backend.DiskUsageOptions) (*backend.DiskUsage, error) {
	return &backend.DiskUsage{LayersSize: 100, Images: []image.Summary{{ID: "a", Size: 80, SharedSize: 30, Containers: 0}, {ID: "b", Size: 50, SharedSize: 30, Containers: 1}}}, nil
}

func TestSystemDF(t *testing.T) {
	_, newClient := start(t, &fakeBackend{})
	c := newClient(client.WithAPIVersion("1.51"))
	du, err := c.DiskUsage(context.Background(), client.DiskUsageOptions{Images: true, Verbose: true})
	if err != nil {
		t.Fatalf("DiskUsage() = %v", err)
	}
	if du.Images.TotalSize != 100 || du.Images.TotalCount != 2 || du.Images.ActiveCount != 1 || du.Images.Reclaimable != 50 {
		t.Errorf("DiskUsage().Images = %+v, want size 100, 2 images, 1 active, 50 reclaimable", du.Images)
	}
}
