package registry

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/api/backend"
)

// Backend is everything the registry router needs.
type Backend interface {
	// ImagePush writes Docker's JSON progress messages to out.
	ImagePush(ctx context.Context, opts backend.ImagePushOptions, out io.Writer) error
	AuthLogin(ctx context.Context, auth registry.AuthConfig) (registry.AuthResponse, error)
}
