package daemon

import (
	"context"
	"io"

	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/registry"

	imagerouter "github.com/tug-project/tug/internal/api/router/image"
	registryrouter "github.com/tug-project/tug/internal/api/router/registry"
	"github.com/tug-project/tug/internal/distribution"
)

// ImagePull fetches an image from a registry (every tag when opts.Tag is
// empty), streaming Docker's progress messages to out.
func (d *Daemon) ImagePull(ctx context.Context, opts imagerouter.PullOptions, out io.Writer) error {
	auth, err := distribution.DecodeAuth(opts.AuthHeader)
	if err != nil {
		return err
	}
	ref, all := opts.Image, opts.Tag == ""
	if !all {
		sep := ":"
		if len(opts.Tag) > 7 && opts.Tag[:7] == "sha256:" {
			sep = "@"
		}
		ref += sep + opts.Tag
	}
	img, err := d.dist.Pull(ctx, distribution.PullOptions{Ref: ref, AllTags: all, Auth: auth, Platform: opts.Platform, Progress: out})
	if err != nil {
		return err
	}
	if img != nil {
		d.events.Publish(apievents.ImageEventType, apievents.ActionPull, ref, map[string]string{"name": ref})
	}
	return nil
}

// ImagePush uploads an image to its registry, streaming Docker's push
// progress to out.
func (d *Daemon) ImagePush(ctx context.Context, opts registryrouter.PushOptions, out io.Writer) error {
	auth, err := distribution.DecodeAuth(opts.AuthHeader)
	if err != nil {
		return err
	}
	ref := opts.Name
	if opts.Tag != "" {
		ref += ":" + opts.Tag
	}
	if err := d.dist.Push(ctx, distribution.PushOptions{Ref: ref, Auth: auth, Progress: out}); err != nil {
		return err
	}
	d.events.Publish(apievents.ImageEventType, apievents.ActionPush, ref, map[string]string{"name": ref})
	return nil
}

// AuthLogin checks credentials against a registry.
func (d *Daemon) AuthLogin(ctx context.Context, auth registry.AuthConfig) (registry.AuthResponse, error) {
	return d.dist.Login(ctx, auth)
}
