package container

import (
	"context"

	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
)

func (f *fakeBackend) ContainerStats(ctx context.Context, name string, opts backend.ContainerStatsOptions, emit func(*container.StatsResponse) error) error {
	return emit(&container.StatsResponse{ID: name, Name: "/" + name})
}

func (f *fakeBackend) ContainerUpdate(ctx context.Context, name string, upd *container.UpdateConfig) (container.UpdateResponse, error) {
	return container.UpdateResponse{}, nil
}
