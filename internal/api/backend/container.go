package backend

import (
	"io"
	"time"

	"github.com/tug-project/tug/internal/filters"
)

// ContainerListOptions are the query parameters of GET /containers/json.
type ContainerListOptions struct {
	All     bool
	Limit   int
	Size    bool
	Filters filters.Args
}

// ContainerAttachOptions are the query parameters of POST
// /containers/{id}/attach. GetStreams is called by the backend once the
// container is found and attachable; multiplex is true when the container
// has no TTY, and the writers returned then frame their output with
// Docker's 8-byte header.
type ContainerAttachOptions struct {
	Stdin, Stdout, Stderr bool
	Stream, Logs          bool
	DetachKeys            string
	GetStreams            func(multiplex bool) (stdin io.ReadCloser, stdout, stderr io.Writer, err error)
}

// ContainerLogsOptions are the query parameters of GET
// /containers/{id}/logs. Tail < 0 means all lines.
type ContainerLogsOptions struct {
	Stdout, Stderr bool
	Follow         bool
	Timestamps     bool
	Since, Until   time.Time
	Tail           int
}

// ContainerExtractOptions are the query parameters of PUT
// /containers/{id}/archive.
type ContainerExtractOptions struct {
	NoOverwriteDirNonDir bool
	CopyUIDGID           bool
}

// ExecStartOptions are the body of POST /exec/{id}/start. Unless Detach,
// GetStreams is called by the backend once the exec is found and
// startable; it hijacks the connection. multiplex is true when the start
// request has no Tty (whatever the exec's config says, as in Docker), and
// the writers returned then frame their output with Docker's 8-byte
// header.
type ExecStartOptions struct {
	Detach      bool
	Tty         bool
	ConsoleSize *[2]uint
	GetStreams  func(multiplex bool) (stdin io.ReadCloser, stdout, stderr io.Writer, err error)
	// StartFailureIs126: the client's API version predates 1.46, when
	// moby (up to 26) recorded 126 for every exec that failed to start;
	// otherwise a missing command gets 127 and one that cannot be
	// invoked 126.
	StartFailureIs126 bool
	// Started, when set, is called once the process runs (from then on
	// its TTY can be resized).
	Started func()
}

// ContainerStatsOptions are the query parameters of GET
// /containers/{id}/stats. Without Stream and OneShot, the one sample sent
// has a previous one taken a second earlier (precpu_stats), for CPU
// percentages.
type ContainerStatsOptions struct {
	Stream  bool
	OneShot bool
}
