package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"syscall"

	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/runtime"
	"github.com/tug-project/tug/internal/trace"
)

// ContainerRemove removes a container, killing it first when forced.
func (d *Daemon) ContainerRemove(ctx context.Context, ref string, force, removeVolumes bool) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	if container.IsCRI(c.Config.Labels) {
		return errdefs.Conflict("container %s belongs to a Kubernetes pod: remove it through the CRI (crictl rm, crictl rmp)", c.ID)
	}
	return d.remove(ctx, c, force, removeVolumes)
}

// remove removes c; with removeVolumes (rm -v; always for --rm) its
// anonymous volumes go too.
func (d *Daemon) remove(ctx context.Context, c *container.Container, force, removeVolumes bool) error {
	ctx = context.WithoutCancel(ctx)
	c.Lock()
	if c.State.Status == apicontainer.StateRemoving {
		c.Unlock()
		return errdefs.Conflict("removal of container %s is already in progress", c.ID)
	}
	if c.State.Running || c.State.Status == apicontainer.StateRestarting {
		if !force {
			c.Unlock()
			return errdefs.Conflict("cannot remove container \"/%s\": container is running: stop the container before removing or force remove", c.Name)
		}
		t := d.task(c.ID)
		if t != nil {
			t.stopping = true
			changed := c.Changed()
			c.Unlock()
			_ = d.signal(ctx, c, t, syscall.SIGKILL)
			<-c.WaitNotRunning(changed, nil)
			c.Lock()
		} else {
			// Restarting: cancel the pending restart.
			c.SetExited(c.State.ExitCode, c.State.FinishedAt, false)
		}
	}
	c.SetRemoving()
	endSave := trace.Span("remove/save")
	_ = d.containers.Save(c)
	endSave()
	c.Unlock()
	if err := d.removeContainer(ctx, c, removeVolumes); err != nil {
		c.Lock()
		c.SetDead()
		_ = d.containers.Save(c)
		c.Unlock()
		return fmt.Errorf("unable to remove container %s: %w", c.ID, err)
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionDestroy, c.ID, d.containerAttrs(c))
	return nil
}

// removeContainer deletes everything a container owns: rootfs mount,
// snapshot, state and files; it stops using its volumes and, with
// removeVolumes or --rm, removes its anonymous ones.
func (d *Daemon) removeContainer(ctx context.Context, c *container.Container, removeVolumes bool) error {
	if err := d.bundle(c.ID).Unmount(); err != nil {
		return err
	}
	_ = runtime.RemoveState(d.stateDir(c.ID))
	endNet := trace.Span("remove/network")
	d.net.Forget(ctx, c.ID)
	endNet()
	return d.removeStored(ctx, c, removeVolumes)
}

// removeStored deletes what is left of a container whose rootfs is
// unmounted, shim state removed and network forgotten: its snapshot, its
// files and its entry in the store; it stops using its volumes.
func (d *Daemon) removeStored(ctx context.Context, c *container.Container, removeVolumes bool) error {
	endSnap := trace.Span("remove/snapshot")
	err := d.snapshots.Remove(ctx, c.ID)
	endSnap()
	if err != nil && !isNotExist(err) {
		return err
	}
	// Volumes are released before the removal is announced (the store's
	// Remove ends waits for it): a `volume ls` right after `run --rm`
	// finds its anonymous volumes gone.
	d.releaseVolumes(ctx, c, removeVolumes || c.HostConfig.AutoRemove)
	endStore := trace.Span("remove/store")
	err = d.containers.Remove(c)
	endStore()
	if err != nil {
		return err
	}
	defer trace.Span("remove/images")()
	// A force-removed image keeps its layers while containers use them;
	// the last such container takes them along.
	if _, err := d.images.Get(ctx, c.ImageID.String()); err != nil {
		if err := d.images.GC(ctx); err != nil {
			slog.WarnContext(ctx, "removing unused layers", "err", err)
		}
	}
	return nil
}

// ContainerRename gives a container a new name.
func (d *Daemon) ContainerRename(ctx context.Context, ref, newName string) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	if newName == "" {
		return errdefs.InvalidParameter("Neither old nor new names may be empty")
	}
	if !container.ValidName(newName) {
		return errdefs.InvalidParameter("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", newName)
	}
	c.Lock()
	old := c.Name
	newName = trimSlash(newName)
	if old == newName {
		c.Unlock()
		return errdefs.InvalidParameter("Renaming a container with the same name as its current name")
	}
	if err := d.containers.Rename(c, newName); err != nil {
		c.Unlock()
		return err
	}
	attrs := d.containerAttrs(c)
	c.Unlock()
	d.renameLinks(old, newName)
	attrs["oldName"] = "/" + old
	d.events.Publish(apievents.ContainerEventType, apievents.ActionRename, c.ID, attrs)
	return nil
}

func trimSlash(s string) string {
	if len(s) > 0 && s[0] == '/' {
		return s[1:]
	}
	return s
}
