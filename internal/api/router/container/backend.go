package container

import (
	"context"
	"io"
	"time"

	"github.com/moby/moby/api/types/container"
)

// Filters are the decoded `filters` query parameter: key -> accepted values.
type Filters map[string][]string

// ListOptions are the query parameters of GET /containers/json.
type ListOptions struct {
	All     bool
	Limit   int
	Size    bool
	Filters Filters
}

// AttachOptions are the query parameters of POST /containers/{id}/attach.
// GetStreams is called by the backend once the container is found and
// attachable; multiplex is true when the container has no TTY, and the
// writers returned then frame their output with Docker's 8-byte header.
type AttachOptions struct {
	Stdin, Stdout, Stderr bool
	Stream, Logs          bool
	DetachKeys            string
	GetStreams            func(multiplex bool) (stdin io.ReadCloser, stdout, stderr io.Writer, err error)
}

// LogsOptions are the query parameters of GET /containers/{id}/logs.
// Tail < 0 means all lines.
type LogsOptions struct {
	Stdout, Stderr bool
	Follow         bool
	Timestamps     bool
	Since, Until   time.Time
	Tail           int
}

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
	ContainerRename(ctx context.Context, nameOrID, newName string) error
}

// streamBackend connects clients to a container's streams.
type streamBackend interface {
	ContainerAttach(ctx context.Context, nameOrID string, opts AttachOptions) error
	ContainerResize(ctx context.Context, nameOrID string, height, width uint) error
	// ContainerLogs writes the log to the writers out returns; out is called
	// once, before the first byte, with the container's TTY setting.
	ContainerLogs(ctx context.Context, nameOrID string, opts LogsOptions, out func(tty bool) (stdout, stderr io.Writer)) error
}

// queryBackend reads containers.
type queryBackend interface {
	ContainerInspect(ctx context.Context, nameOrID string) (*container.InspectResponse, error)
	ContainerList(ctx context.Context, opts ListOptions) ([]container.Summary, error)
}

// Backend is everything the container router needs.
type Backend interface {
	stateBackend
	streamBackend
	queryBackend
	limitsBackend
}

// StatsOptions are the query parameters of GET /containers/{id}/stats.
// Without Stream and OneShot, the one sample sent has a previous one
// taken a second earlier (precpu_stats), for CPU percentages.
type StatsOptions struct {
	Stream  bool
	OneShot bool
}

// limitsBackend reads and changes a container's resource limits.
type limitsBackend interface {
	// ContainerStats calls emit with each sample until the stream ends,
	// ctx is done or emit fails.
	ContainerStats(ctx context.Context, nameOrID string, opts StatsOptions, emit func(*container.StatsResponse) error) error
	ContainerUpdate(ctx context.Context, nameOrID string, upd *container.UpdateConfig) (container.UpdateResponse, error)
}
