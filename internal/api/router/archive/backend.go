package archive

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
)

// copyBackend copies files in and out of containers, running or not.
type copyBackend interface {
	ContainerStatPath(ctx context.Context, nameOrID, path string) (*container.PathStat, error)
	// ContainerArchivePath writes a tar of path to the writer out returns;
	// out is called once, with the path's stat, before the first byte.
	ContainerArchivePath(ctx context.Context, nameOrID, path string, out func(*container.PathStat) io.Writer) error
	ContainerExtractToDir(ctx context.Context, nameOrID, path string, opts backend.ContainerExtractOptions, content io.Reader) error
}

// changesBackend reports a container's filesystem changes.
type changesBackend interface {
	ContainerChanges(ctx context.Context, nameOrID string) ([]container.FilesystemChange, error)
}

// Backend is everything the archive router needs.
type Backend interface {
	copyBackend
	changesBackend
}
