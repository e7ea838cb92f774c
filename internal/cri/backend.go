package cri

import (
	"context"
	"io"
	"time"

	"github.com/distribution/reference"
	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/image"
)

// ImageBackend is what the image service needs of the engine: tug's one
// image store, which the Docker API and the CRI share (an image built with
// `tug build` runs in a pod unchanged).
type ImageBackend interface {
	// Images lists every image.
	Images(ctx context.Context) ([]*image.Image, error)
	// Image finds an image by reference or ID; errdefs.ErrNotFound when
	// there is none.
	Image(ctx context.Context, ref string) (*image.Image, error)
	// Pull fetches ref from its registry with auth (nil: anonymous).
	Pull(ctx context.Context, ref reference.Named, auth *registry.AuthConfig) (*image.Image, error)
	// Remove deletes image id with all its references, refusing
	// (errdefs.ErrConflict) while a container of either API uses it.
	Remove(ctx context.Context, id digest.Digest) error
	// Usage is the directory holding the image layers, and the disk space
	// and inodes they take.
	Usage(ctx context.Context) (dir string, bytes, inodes uint64, err error)
}

// ContainerBackend is what the runtime service needs of the engine: the
// containers of pods (a pause container per sandbox, and the workloads),
// made through the Engine API's create path with its wire types, and kept
// apart from the Engine API's containers by the engine.
type ContainerBackend interface {
	StreamBackend // exec and attach of the streaming server (stream.go)
	Create(ctx context.Context, name string, req *apicontainer.CreateRequest) (id string, err error)
	Start(ctx context.Context, id string) error
	Stop(ctx context.Context, id string, timeout time.Duration) error
	// Remove kills and removes a container; errdefs.ErrNotFound when it
	// is not a CRI container.
	Remove(ctx context.Context, id string) error
	Inspect(ctx context.Context, id string) (*apicontainer.InspectResponse, error)
	// List returns every CRI container, newest first.
	List(ctx context.Context) []apicontainer.Summary
	// Exec runs cmd in running container id until it ends, copying its
	// output to stdout and stderr, and returns its exit code.
	Exec(ctx context.Context, id string, cmd []string, stdout, stderr io.Writer) (int, error)
	// Update changes a container's resources, at once when it runs.
	Update(ctx context.Context, id string, upd *apicontainer.UpdateConfig) error
	// Stats samples a container's cgroup once, and the bytes its writable
	// layer holds.
	Stats(ctx context.Context, id string) (*apicontainer.StatsResponse, int64, error)
	// ReopenLog has a running container's log reopened at its path.
	ReopenLog(ctx context.Context, id string) error
	// Events subscribes to the engine's container events (the Engine
	// API's /events) about CRI containers, from now until cancel. The
	// channel closes when the subscriber falls behind.
	Events() (live <-chan apievents.Message, cancel func())
}
