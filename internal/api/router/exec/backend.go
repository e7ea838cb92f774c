package exec

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/container"
)

// StartOptions are the body of POST /exec/{id}/start. Unless Detach,
// GetStreams is called by the backend once the exec is found and
// startable; it hijacks the connection. multiplex is true when the exec
// has no TTY, and the writers returned then frame their output with
// Docker's 8-byte header.
type StartOptions struct {
	Detach      bool
	Tty         bool
	ConsoleSize *[2]uint
	GetStreams  func(multiplex bool) (stdin io.ReadCloser, stdout, stderr io.Writer, err error)
}

// execBackend runs additional processes in running containers.
type execBackend interface {
	ContainerExecCreate(ctx context.Context, nameOrID string, req *container.ExecCreateRequest) (string, error)
	// ContainerExecStart starts the exec and, unless detached, streams
	// its stdio until its output ends. Once the streams are taken, it
	// reports a start failure in the stdout stream itself.
	ContainerExecStart(ctx context.Context, execID string, opts StartOptions) error
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
