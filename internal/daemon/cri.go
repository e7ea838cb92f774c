package daemon

import (
	"context"
	"io"
	"time"

	"github.com/distribution/reference"
	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/distribution"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
	"github.com/tug-project/tug/internal/proctree"
)

// CRIImages is the engine's side of the CRI image service (internal/cri):
// the same image store the Docker API uses.
type CRIImages struct{ d *Daemon }

// CRIImages returns the image backend of the CRI server.
func (d *Daemon) CRIImages() CRIImages { return CRIImages{d: d} }

// Images lists every image.
func (b CRIImages) Images(ctx context.Context) ([]*image.Image, error) {
	return b.d.images.List(ctx)
}

// Image finds an image by reference or ID.
func (b CRIImages) Image(ctx context.Context, ref string) (*image.Image, error) {
	return b.d.images.Get(ctx, ref)
}

// Pull pulls ref with auth, as `tug pull` does.
func (b CRIImages) Pull(ctx context.Context, ref reference.Named, auth *registry.AuthConfig) (*image.Image, error) {
	img, err := b.d.dist.Pull(ctx, distribution.PullOptions{Ref: ref, Auth: auth, Progress: io.Discard})
	if err != nil {
		return nil, err
	}
	b.d.events.Publish(apievents.ImageEventType, apievents.ActionPull, ref.String(), map[string]string{"name": ref.String()})
	return img, nil
}

// Remove deletes image id and all its references unless a container uses
// it.
func (b CRIImages) Remove(ctx context.Context, id digest.Digest) error {
	if ctr, _, used := b.d.imageUser(id); used {
		return errdefs.Conflict("image %s is in use by container %s", id, ctr)
	}
	_, err := b.d.ImageDelete(ctx, id.String(), true, false)
	return err
}

// Usage is the disk space and inodes of the image layers.
func (b CRIImages) Usage(ctx context.Context) (dir string, bytes, inodes uint64, err error) {
	return b.d.snapshots.LayersUsage()
}

// CRIContainers is the engine's side of the CRI runtime service: the
// containers of Kubernetes pods (their sandboxes' pause containers and
// their workloads), made and found only here. They carry
// container.CRIOwnerLabel; the Engine API neither lists them unasked nor
// removes them, and this side finds no other container.
type CRIContainers struct{ d *Daemon }

// CRIContainers returns the container backend of the CRI server.
func (d *Daemon) CRIContainers() CRIContainers { return CRIContainers{d: d} }

// Create creates a CRI container as POST /containers/create does.
func (b CRIContainers) Create(ctx context.Context, name string, req *apicontainer.CreateRequest) (string, error) {
	if req == nil || req.Config == nil {
		return "", errdefs.InvalidParameter("no container config")
	}
	labels := map[string]string{container.CRIOwnerLabel: "cri"}
	for k, v := range req.Config.Labels {
		labels[k] = v
	}
	req.Config.Labels = labels
	resp, err := b.d.create(ctx, name, req)
	return resp.ID, err
}

// lookup finds CRI container id (its full ID).
func (b CRIContainers) lookup(id string) (*container.Container, error) {
	c, err := b.d.containers.Get(id)
	if err != nil || c.ID != id || !container.IsCRI(c.Config.Labels) {
		return nil, errdefs.NotFound("no such container %s", id)
	}
	return c, nil
}

// Start starts CRI container id.
func (b CRIContainers) Start(ctx context.Context, id string) error {
	if _, err := b.lookup(id); err != nil {
		return err
	}
	return b.d.ContainerStart(ctx, id)
}

// Stop stops CRI container id: its stop signal, SIGKILL after timeout.
func (b CRIContainers) Stop(ctx context.Context, id string, timeout time.Duration) error {
	if _, err := b.lookup(id); err != nil {
		return err
	}
	secs := int(timeout.Seconds())
	return b.d.ContainerStop(ctx, id, "", &secs)
}

// Remove removes CRI container id, killing it if it runs, with its
// anonymous volumes.
func (b CRIContainers) Remove(ctx context.Context, id string) error {
	c, err := b.lookup(id)
	if err != nil {
		return err
	}
	return b.d.remove(ctx, c, true, true)
}

// Inspect returns CRI container id as GET /containers/{id}/json does.
func (b CRIContainers) Inspect(ctx context.Context, id string) (*apicontainer.InspectResponse, error) {
	if _, err := b.lookup(id); err != nil {
		return nil, err
	}
	return b.d.ContainerInspect(ctx, id)
}

// List returns every CRI container, newest first.
func (b CRIContainers) List(ctx context.Context) []apicontainer.Summary {
	now := time.Now()
	var out []apicontainer.Summary
	for _, c := range b.d.containers.List() {
		c.Lock()
		if container.IsCRI(c.Config.Labels) {
			out = append(out, b.d.summary(c, now, false))
		}
		c.Unlock()
	}
	return out
}

// Exec runs cmd in running CRI container id, as POST /containers/{id}/exec
// and /exec/{id}/start do, and returns its exit code. When ctx ends
// first, the command is killed with every process it started, and the
// error is ctx's.
func (b CRIContainers) Exec(ctx context.Context, id string, cmd []string, stdout, stderr io.Writer) (int, error) {
	if _, err := b.lookup(id); err != nil {
		return 0, err
	}
	execID, err := b.d.ContainerExecCreate(ctx, id, &apicontainer.ExecCreateRequest{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return 0, err
	}
	// The exec runs on its own context, ended only after its processes
	// are killed: ending it kills the command alone, and its children
	// would live on under the container's init.
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	done := make(chan error, 1)
	go func() {
		done <- b.d.ContainerExecStart(runCtx, execID, backend.ExecStartOptions{
			GetStreams: func(bool) (io.ReadCloser, io.Writer, io.Writer, error) { return nil, stdout, stderr, nil },
		})
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		if insp, err := b.d.ContainerExecInspect(ctx, execID); err == nil && insp.Running && insp.Pid > 0 {
			_ = proctree.Kill(insp.Pid)
		}
		stop()
		<-done
		return 0, ctx.Err()
	}
	if err != nil {
		return 0, err
	}
	insp, err := b.d.ContainerExecInspect(ctx, execID)
	if err != nil {
		return 0, err
	}
	if insp.ExitCode == nil {
		return 0, errdefs.Unavailable("exec %s in %s: no exit code", execID, id)
	}
	return *insp.ExitCode, nil
}

// Update changes CRI container id's resources as POST
// /containers/{id}/update does.
func (b CRIContainers) Update(ctx context.Context, id string, upd *apicontainer.UpdateConfig) error {
	if _, err := b.lookup(id); err != nil {
		return err
	}
	_, err := b.d.ContainerUpdate(ctx, id, upd)
	return err
}

// Stats samples CRI container id's cgroup once (a one-shot GET
// /containers/{id}/stats) and returns the bytes of its writable layer.
func (b CRIContainers) Stats(ctx context.Context, id string) (*apicontainer.StatsResponse, int64, error) {
	if _, err := b.lookup(id); err != nil {
		return nil, 0, err
	}
	var s *apicontainer.StatsResponse
	err := b.d.ContainerStats(ctx, id, backend.ContainerStatsOptions{OneShot: true}, func(r *apicontainer.StatsResponse) error {
		s = r
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return s, b.d.snapshots.Usage(id), nil
}

// ReopenLog has running CRI container id's shim reopen its log file.
func (b CRIContainers) ReopenLog(ctx context.Context, id string) error {
	c, err := b.lookup(id)
	if err != nil {
		return err
	}
	c.Lock()
	running := c.State.Running
	c.Unlock()
	t := b.d.task(id)
	if !running || t == nil {
		return errdefs.Conflict("container %s is not running", id)
	}
	return t.client.ReopenLog(ctx)
}

// Events subscribes to the container events of CRI containers on the bus
// that feeds GET /events, until cancel.
func (b CRIContainers) Events() (<-chan apievents.Message, func()) {
	_, live, cancel := b.d.events.Subscribe(time.Time{}, time.Time{}, func(m apievents.Message) bool {
		return m.Type == apievents.ContainerEventType && container.IsCRI(m.Actor.Attributes)
	})
	return live, cancel
}
