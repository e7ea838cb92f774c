package daemon

import (
	"context"
	"io"

	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/distribution"
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
