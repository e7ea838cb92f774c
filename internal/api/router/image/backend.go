package image

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/image"
)

// Filters are the decoded `filters` query parameter: key -> accepted values.
type Filters map[string][]string

// ListOptions are the query parameters of GET /images/json.
type ListOptions struct {
	All     bool
	Filters Filters
}

// ImportOptions are the query parameters of POST /images/create?fromSrc=-.
type ImportOptions struct {
	Repo, Tag string
	Changes   []string
	Message   string
	Platform  string
}

// PullOptions are the query parameters of POST /images/create?fromImage=.
type PullOptions struct {
	Image, Tag string
	Platform   string
	AuthHeader string // the raw X-Registry-Auth header
}

// Backend is everything the image router needs. Operations that report
// progress write Docker's JSON progress messages (jsonstream.Message) to out.
type Backend interface {
	ImageList(ctx context.Context, opts ListOptions) ([]image.Summary, error)
	ImageInspect(ctx context.Context, name string) (*image.InspectResponse, error)
	ImageHistory(ctx context.Context, name string) ([]image.HistoryResponseItem, error)
	ImageTag(ctx context.Context, source, repo, tag string) error
	ImageDelete(ctx context.Context, name string, force, noPrune bool) ([]image.DeleteResponse, error)
	ImageExport(ctx context.Context, names []string, out io.Writer) error
	ImageLoad(ctx context.Context, in io.Reader, quiet bool, out io.Writer) error
	ImageImport(ctx context.Context, in io.Reader, opts ImportOptions, out io.Writer) error
	ImagePull(ctx context.Context, opts PullOptions, out io.Writer) error
}
