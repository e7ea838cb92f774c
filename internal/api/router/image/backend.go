package image

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/image"

	"github.com/tug-project/tug/internal/api/backend"
)

// Backend is everything the image router needs. Operations that report
// progress write Docker's JSON progress messages (jsonstream.Message) to out.
type Backend interface {
	ImageList(ctx context.Context, opts backend.ImageListOptions) ([]image.Summary, error)
	ImageInspect(ctx context.Context, name string) (*image.InspectResponse, error)
	ImageHistory(ctx context.Context, name string) ([]image.HistoryResponseItem, error)
	ImageTag(ctx context.Context, source, repo, tag string) error
	ImageDelete(ctx context.Context, name string, force, noPrune bool) ([]image.DeleteResponse, error)
	ImageExport(ctx context.Context, names []string, out io.Writer) error
	ImageLoad(ctx context.Context, in io.Reader, quiet bool, out io.Writer) error
	ImageImport(ctx context.Context, in io.Reader, opts backend.ImageImportOptions, out io.Writer) error
	ImagePull(ctx context.Context, opts backend.ImagePullOptions, out io.Writer) error
	pruneBackend // prune.go
}
