package daemon

import (
	"context"
	"log/slog"
	"os"
	"strconv"

	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/mount"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/cpuprio"
	"github.com/tug-project/tug/internal/runtime"
	"github.com/tug-project/tug/internal/trace"
)

// faultBeforeBackgroundRemoval makes tugd exit right after a --rm
// container is announced removed, before its parts are, for the test of
// what the next tugd does with them.
var faultBeforeBackgroundRemoval = os.Getenv("TUGD_FAULT") == "before-background-removal"

// fastRemoval reports whether c, a --rm container, can be announced as
// removed before all its parts are: true unless it uses volumes, which must
// be released before the answer (a `volume rm` right after the run must
// find them free).
func fastRemoval(c *container.Container) bool {
	for _, m := range c.MountPoints {
		if m.Type == mount.TypeVolume {
			return false
		}
	}
	return true
}

// removeAfterExit ends a --rm container whose process exited. What a
// client can observe goes before the removal is announced: the container
// is saved as removing, its network endpoint, address and published ports
// are released, and it leaves the store (its name is free, waiters for
// "removed" return). Its shim's shutdown, the rootfs mount, the snapshot
// and its files go after, in the background: a daemon that stops before
// they are done finds the container saved as removing at its next start
// and finishes the removal (restore). Call with c's lock held; it unlocks.
func (d *Daemon) removeAfterExit(ctx context.Context, c *container.Container, t *task, exit runtime.Exit) {
	d.mu.Lock()
	if d.tasks[c.ID] == t {
		delete(d.tasks, c.ID)
	}
	d.mu.Unlock()
	c.SetExited(exit.Code, exit.ExitedAt.UTC(), exit.OOMKilled)
	c.SetRemoving()
	endSave := trace.Span("remove/save")
	err := d.containers.SaveUnsynced(c) // a machine crash ends the container anyway: restore removes it
	endSave()
	if exit.OOMKilled {
		d.events.Publish(apievents.ContainerEventType, apievents.ActionOOM, c.ID, d.containerAttrs(c))
	}
	attrs := d.containerAttrs(c)
	attrs["exitCode"] = strconv.Itoa(exit.Code)
	d.events.Publish(apievents.ContainerEventType, apievents.ActionDie, c.ID, attrs)
	c.Unlock()
	if err != nil {
		// Not recorded as removing: remove it all before answering.
		slog.WarnContext(ctx, "saving container state", "id", c.ID, "err", err)
		d.shutdownShim(ctx, c.ID, t)
		d.finishRemoval(ctx, c)
		return
	}

	endNet := trace.Span("remove/network")
	d.net.Forget(ctx, c.ID) // detaches too
	endNet()
	d.containers.Hide(c)
	d.events.Publish(apievents.ContainerEventType, apievents.ActionDestroy, c.ID, d.containerAttrs(c))
	if faultBeforeBackgroundRemoval {
		os.Exit(137) // fault injection for tests: die like a SIGKILL before the rest of the removal
	}

	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		// At the lowest priority: the next container's start (a loop of
		// `run --rm`) does not share the CPU with this one's deletion.
		cpuprio.Lowest()
		defer trace.Span("remove/background")()
		d.shutdownShim(ctx, c.ID, t)
		err := d.bundle(c.ID).Unmount()
		if err == nil {
			_ = runtime.RemoveState(d.stateDir(c.ID))
			err = d.removeStored(ctx, c, true) // the network is forgotten above
		}
		if err != nil {
			slog.WarnContext(ctx, "auto-removing container (the next tugd finishes it)", "id", c.ID, "err", err)
		}
	}()
}

// shutdownShim makes the shim of an exited container clean up and exit:
// through t, or through its socket when t is nil.
func (d *Daemon) shutdownShim(ctx context.Context, id string, t *task) {
	defer trace.Span("exit/shim-shutdown")()
	if t != nil {
		_ = t.client.Shutdown(ctx)
		_ = t.client.Close()
		return
	}
	if client, err := runtime.Connect(ctx, d.stateDir(id)); err == nil {
		_ = client.Shutdown(ctx)
		_ = client.Close()
	}
}

// finishRemoval removes an exited --rm container in the foreground.
func (d *Daemon) finishRemoval(ctx context.Context, c *container.Container) {
	if err := d.removeContainer(ctx, c, true); err != nil {
		slog.WarnContext(ctx, "auto-removing container", "id", c.ID, "err", err)
		c.Lock()
		c.SetDead()
		_ = d.containers.Save(c)
		c.Unlock()
		return
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionDestroy, c.ID, d.containerAttrs(c))
}
