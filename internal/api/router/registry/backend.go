package registry

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/registry"
)

// PushOptions are the parameters of POST /images/{name}/push.
type PushOptions struct {
	Name, Tag  string
	AuthHeader string // the raw X-Registry-Auth header
}

// Backend is everything the registry router needs.
type Backend interface {
	// ImagePush writes Docker's JSON progress messages to out.
	ImagePush(ctx context.Context, opts PushOptions, out io.Writer) error
	AuthLogin(ctx context.Context, auth registry.AuthConfig) (registry.AuthResponse, error)
}
