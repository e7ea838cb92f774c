package daemon

import (
	"context"
	"log/slog"
	"syscall"
	"time"

	apievents "github.com/moby/moby/api/types/events"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
)

// ContainerPause freezes every process of a running container.
func (d *Daemon) ContainerPause(ctx context.Context, ref string) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	t := d.task(c.ID)
	switch {
	case c.State.Restarting:
		return errdefs.Conflict("Container %s is restarting, wait until the container is running", c.ID)
	case !c.State.Running || t == nil:
		return errdefs.Conflict("Container %s is not running", c.ID)
	case c.State.Paused:
		return errdefs.Conflict("Container %s is already paused", c.ID)
	}
	if err := t.client.Pause(ctx); err != nil {
		return err
	}
	c.SetPaused(true)
	if err := d.containers.Save(c); err != nil {
		slog.WarnContext(ctx, "saving container state", "id", c.ID, "err", err)
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionPause, c.ID, d.containerAttrs(c))
	return nil
}

// ContainerUnpause thaws a paused container.
func (d *Daemon) ContainerUnpause(ctx context.Context, ref string) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	t := d.task(c.ID)
	if !c.State.Paused || t == nil {
		return errdefs.Conflict("Container %s is not paused", c.ID)
	}
	return d.unpause(ctx, c, t)
}

// unpause resumes c. Call with c's lock held.
func (d *Daemon) unpause(ctx context.Context, c *container.Container, t *task) error {
	if err := t.client.Resume(ctx); err != nil {
		return err
	}
	c.SetPaused(false)
	if err := d.containers.Save(c); err != nil {
		slog.WarnContext(ctx, "saving container state", "id", c.ID, "err", err)
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionUnPause, c.ID, d.containerAttrs(c))
	return nil
}

// signal sends sig to c's init; a paused container is resumed after the
// signal so that it takes effect, as Docker does.
func (d *Daemon) signal(ctx context.Context, c *container.Container, t *task, sig syscall.Signal) error {
	if err := t.client.Kill(ctx, sig); err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if c.State.Paused && d.task(c.ID) == t {
		if err := d.unpause(context.WithoutCancel(ctx), c, t); err != nil {
			slog.WarnContext(ctx, "resuming a paused container after a signal", "id", c.ID, "err", err)
		}
	}
	return nil
}

// killWait bounds how long a SIGKILL from `kill` waits for the exit.
const killWait = 10 * time.Second

// waitStopped waits (at most timeout, or until ctx ends) for c to stop,
// watching from changed.
func waitStopped(ctx context.Context, c *container.Container, changed <-chan struct{}, timeout time.Duration) {
	abandon := make(chan struct{})
	defer close(abandon)
	select {
	case <-c.WaitNotRunning(changed, abandon):
	case <-ctx.Done():
	case <-time.After(timeout):
	}
}
