package exec

import (
	"context"

	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
)

// execBackend runs additional processes in running containers.
type execBackend interface {
	ContainerExecCreate(ctx context.Context, nameOrID string, req *container.ExecCreateRequest) (string, error)
	// ContainerExecStart starts the exec and, unless detached, streams
	// its stdio until its output ends. Once the streams are taken, it
	// reports a start failure in the stdout stream itself.
	ContainerExecStart(ctx context.Context, execID string, opts backend.ExecStartOptions) error
	ContainerExecResize(ctx context.Context, execID string, height, width uint) error
	ContainerExecInspect(ctx context.Context, execID string) (*container.ExecInspectResponse, error)
}

// topBackend lists the processes of a running container.
type topBackend interface {
	ContainerTop(ctx context.Context, nameOrID, psArgs string) (*container.TopResponse, error)
}

// Backend is everything the exec router needs.
type Backend interface {
	execBackend
	topBackend
}
