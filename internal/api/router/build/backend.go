package build

import (
	"context"
	"io"

	"github.com/tug-project/tug/internal/api/backend"
)

// Backend builds images.
type Backend interface {
	Build(ctx context.Context, body io.Reader, opts backend.BuildOptions, out backend.BuildOutput) (id string, err error)
	BuildCachePrune(ctx context.Context) (reclaimed int64, err error)
}
