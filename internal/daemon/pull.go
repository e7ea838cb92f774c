package daemon

import (
	"context"
	"io"

	"github.com/distribution/reference"
	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/distribution"
	"github.com/tug-project/tug/internal/filters"
)

// ImagePull fetches an image from a registry (every tag of the repository
// with opts.AllTags), streaming Docker's progress messages to out.
func (d *Daemon) ImagePull(ctx context.Context, opts backend.ImagePullOptions, out io.Writer) error {
	auth, err := distribution.DecodeAuth(opts.AuthHeader)
	if err != nil {
		return err
	}
	img, err := d.dist.Pull(ctx, distribution.PullOptions{Ref: opts.Ref, AllTags: opts.AllTags, Auth: auth, Platform: opts.Platform, Progress: out})
	if err != nil {
		return err
	}
	if img != nil {
		ref := opts.Ref.String()
		d.events.Publish(apievents.ImageEventType, apievents.ActionPull, ref, map[string]string{"name": ref})
	}
	return nil
}

// ImagePush uploads an image to its registry, streaming Docker's push
// progress to out.
func (d *Daemon) ImagePush(ctx context.Context, opts backend.ImagePushOptions, out io.Writer) error {
	auth, err := distribution.DecodeAuth(opts.AuthHeader)
	if err != nil {
		return err
	}
	if err := d.dist.Push(ctx, distribution.PushOptions{Ref: opts.Ref, Auth: auth, Progress: out}); err != nil {
		return err
	}
	ref := opts.Ref.String()
	d.events.Publish(apievents.ImageEventType, apievents.ActionPush, ref, map[string]string{"name": ref})
	return nil
}

// AuthLogin checks credentials against a registry.
func (d *Daemon) AuthLogin(ctx context.Context, auth registry.AuthConfig) (registry.AuthResponse, error) {
	return d.dist.Login(ctx, auth)
}

// DistributionInspect asks the registry what it holds under named.
func (d *Daemon) DistributionInspect(ctx context.Context, named reference.Named, authHeader string) (registry.DistributionInspect, error) {
	auth, err := distribution.DecodeAuth(authHeader)
	if err != nil {
		return registry.DistributionInspect{}, err
	}
	return d.dist.Inspect(ctx, named, auth)
}

// ImageSearch searches a registry's repositories and filters the results.
func (d *Daemon) ImageSearch(ctx context.Context, term string, limit int, f filters.Args, authHeader string) ([]registry.SearchResult, error) {
	auth, err := distribution.DecodeAuth(authHeader)
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = distribution.DefaultSearchLimit
	}
	if _, err := distribution.FilterSearchResults(nil, f); err != nil {
		return nil, err // bad filters fail before the registry is asked
	}
	res, err := d.dist.Search(ctx, term, limit, auth)
	if err != nil {
		return nil, err
	}
	return distribution.FilterSearchResults(res, f)
}
