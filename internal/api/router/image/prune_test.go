package image

import (
	"context"
	"testing"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/filters"
)

func (b *fakeBackend) ImagePrune(ctx context.Context, f filters.Args) (image.PruneReport, error) {
	if len(f.Get("dangling")) == 0 {
		return image.PruneReport{}, nil
	}
	return image.PruneReport{ImagesDeleted: []image.DeleteResponse{{Deleted: "sha256:x"}}, SpaceReclaimed: 7}, nil
}

func TestImagePrune(t *testing.T) {
	c, _ := start(t, &fakeBackend{})
	res, err := c.ImagePrune(context.Background(), client.ImagePruneOptions{Filters: make(client.Filters).Add("dangling", "false")})
	if err != nil || len(res.Report.ImagesDeleted) != 1 || res.Report.SpaceReclaimed != 7 {
		t.Fatalf("ImagePrune() = %+v, %v", res, err)
	}
}
