package registry

import (
	"context"
	"io"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/filters"
)

// Backend is everything the registry router needs.
type Backend interface {
	// ImagePush writes Docker's JSON progress messages to out.
	ImagePush(ctx context.Context, opts backend.ImagePushOptions, out io.Writer) error
	AuthLogin(ctx context.Context, auth registry.AuthConfig) (registry.AuthResponse, error)
	// DistributionInspect asks the registry what it holds under named.
	DistributionInspect(ctx context.Context, named reference.Named, authHeader string) (registry.DistributionInspect, error)
	// ImageSearch searches the registry term names (limit 0: Docker's
	// default).
	ImageSearch(ctx context.Context, term string, limit int, f filters.Args, authHeader string) ([]registry.SearchResult, error)
}
