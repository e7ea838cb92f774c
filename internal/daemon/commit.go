package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
)

// ContainerCommit makes an image of a container: its image's layers plus
// one layer of its changes (the diff of its upper dir), with its config
// and the -c changes. A running container is frozen meanwhile unless
// opts.Pause is false.
func (d *Daemon) ContainerCommit(ctx context.Context, opts backend.CommitOptions) (string, error) {
	c, err := d.lookup(opts.Container)
	if err != nil {
		return "", err
	}
	ref := opts.Repo
	if ref != "" && opts.Tag != "" {
		ref += ":" + opts.Tag
	}
	c.Lock()
	defer c.Unlock()
	if c.State.Status == apicontainer.StateRemoving || c.State.Dead {
		return "", errdefs.Conflict("container %s is marked for removal", c.ID)
	}
	cfg, err := commitConfig(c.Config, opts.Config)
	if err != nil {
		return "", err
	}
	if err := image.ApplyChanges(&cfg, opts.Changes); err != nil {
		return "", errdefs.InvalidParameter("%s", err.Error())
	}
	if t := d.task(c.ID); opts.Pause && c.State.Running && !c.State.Paused && t != nil {
		if err := t.client.Pause(ctx); err != nil {
			return "", err
		}
		defer func() {
			if err := t.client.Resume(context.WithoutCancel(ctx)); err != nil {
				slog.WarnContext(ctx, "resuming a container after commit", "id", c.ID, "err", err)
			}
		}()
	}
	parent, err := d.images.Get(ctx, c.ImageID.String())
	if err != nil {
		return "", err
	}
	upper, err := d.snapshots.UpperDir(c.ID)
	if err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 64<<10)
		_, err := archive.Diff(ctx, upper, bw, d.idsOf(c.HostConfig))
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	defer pr.CloseWithError(io.ErrClosedPipe)
	img, err := d.images.Commit(ctx, parent, pr, image.CommitOptions{
		Config:    cfg,
		Author:    opts.Author,
		Comment:   opts.Comment,
		CreatedBy: strings.Join(append([]string{c.Path}, c.Args...), " "),
		Ref:       ref,
	})
	if err != nil {
		return "", err
	}
	attrs := d.containerAttrs(c)
	attrs["comment"] = opts.Comment
	attrs["imageID"] = img.ID.String()
	attrs["imageRef"] = ref
	d.events.Publish(apievents.ContainerEventType, apievents.ActionCommit, c.ID, attrs)
	return img.ID.String(), nil
}

// commitConfig is the image config of a commit: the container's config
// (Docker keeps its Cmd, Env, Entrypoint, ...), with the fields the
// request's body sets taking precedence.
func commitConfig(ctr, req *apicontainer.Config) (dockerspec.DockerOCIImageConfig, error) {
	var cfg dockerspec.DockerOCIImageConfig
	merged := *ctr
	if req != nil {
		if len(req.Cmd) > 0 {
			merged.Cmd = req.Cmd
		}
		if len(req.Entrypoint) > 0 {
			merged.Entrypoint = req.Entrypoint
		}
		if len(req.Env) > 0 {
			merged.Env = req.Env
		}
		if len(req.ExposedPorts) > 0 {
			merged.ExposedPorts = req.ExposedPorts
		}
		if len(req.Labels) > 0 {
			merged.Labels = req.Labels
		}
		if req.WorkingDir != "" {
			merged.WorkingDir = req.WorkingDir
		}
		if req.User != "" {
			merged.User = req.User
		}
	}
	// The field names of the container config and the image config agree.
	b, err := json.Marshal(merged)
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, err
	}
	return cfg, nil
}
