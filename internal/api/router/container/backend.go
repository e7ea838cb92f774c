package container

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
)

// stateBackend changes a container's run state.
type stateBackend interface {
	ContainerCreate(ctx context.Context, name string, req *container.CreateRequest) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, nameOrID string) error
	ContainerStop(ctx context.Context, nameOrID string, signal string, timeout *int) error
	ContainerRestart(ctx context.Context, nameOrID string, signal string, timeout *int) error
	ContainerKill(ctx context.Context, nameOrID string, signal string) error
	// ContainerWait registers the wait and returns at once; the channel
	// yields one response when the condition is met.
	ContainerWait(ctx context.Context, nameOrID string, condition container.WaitCondition) (<-chan container.WaitResponse, error)
	ContainerRemove(ctx context.Context, nameOrID string, force, removeVolumes bool) error
	// ContainerRemoveLink removes the legacy link /parent/alias.
	ContainerRemoveLink(ctx context.Context, link string) error
	ContainerRename(ctx context.Context, nameOrID, newName string) error
}

// streamBackend connects clients to a container's streams.
type streamBackend interface {
	ContainerAttach(ctx context.Context, nameOrID string, opts backend.ContainerAttachOptions) error
	ContainerResize(ctx context.Context, nameOrID string, height, width uint) error
	// ContainerLogs writes the log to the writers out returns; out is called
	// once, before the first byte, with the container's TTY setting.
	ContainerLogs(ctx context.Context, nameOrID string, opts backend.ContainerLogsOptions, out func(tty bool) (stdout, stderr io.Writer)) error
}

// queryBackend reads containers.
type queryBackend interface {
	ContainerInspect(ctx context.Context, nameOrID string) (*container.InspectResponse, error)
	ContainerList(ctx context.Context, opts backend.ContainerListOptions) ([]container.Summary, error)
}

// Backend is everything the container router needs.
type Backend interface {
	stateBackend
	streamBackend
	queryBackend
	limitsBackend
	opsBackend // ops.go
}

// limitsBackend reads and changes a container's resource limits.
type limitsBackend interface {
	// ContainerStats calls emit with each sample until the stream ends,
	// ctx is done or emit fails.
	ContainerStats(ctx context.Context, nameOrID string, opts backend.ContainerStatsOptions, emit func(*container.StatsResponse) error) error
	ContainerUpdate(ctx context.Context, nameOrID string, upd *container.UpdateConfig) (container.UpdateResponse, error)
}
