package daemon

import (
	"context"
	"log/slog"
	"sync"
	"syscall"

	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/health"
	"github.com/tug-project/tug/internal/runtime"
	"github.com/tug-project/tug/internal/stringid"
)

// healthMonitors are the running health monitors by container ID.
type healthMonitors struct {
	mu     sync.Mutex
	cancel map[string]context.CancelFunc
}

func (h *healthMonitors) set(id string, cancel context.CancelFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cancel == nil {
		h.cancel = map[string]context.CancelFunc{}
	}
	if old := h.cancel[id]; old != nil {
		old()
	}
	h.cancel[id] = cancel
}

func (h *healthMonitors) stop(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.cancel[id]; c != nil {
		c()
		delete(h.cancel, id)
	}
}

// armHealth starts c's health monitor when c has a check. After a start
// (fresh) the status is reset to starting; after a daemon restart the
// recorded status carries on. Call with c's lock held, c running under t.
func (d *Daemon) armHealth(c *container.Container, t *task, fresh bool) {
	cfg, err := health.FromConfig(c.Config.Healthcheck, c.Config.Shell)
	if err != nil {
		slog.Warn("health check not run", "id", c.ID, "err", err)
		return
	}
	if cfg == nil {
		c.State.Health = nil
		return
	}
	if fresh || c.State.Health == nil {
		c.State.Health = health.Reset(c.State.Health)
	}
	ctx, cancel := context.WithCancel(d.bg)
	d.health.set(c.ID, cancel)
	startedAt, status := c.State.StartedAt, c.State.Health.Status
	probe := func(ctx context.Context, cmd []string) (int, string, error) { return d.probe(ctx, c, t, cmd) }
	record := func(r *apicontainer.HealthcheckResult) apicontainer.HealthStatus {
		return d.recordHealth(ctx, c, cfg, r)
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		health.Run(ctx, cfg, startedAt, status, probe, record)
	}()
}

// disarmHealth stops c's health monitor.
func (d *Daemon) disarmHealth(id string) { d.health.stop(id) }

// probe runs the check once inside the container, through its shim, as
// an exec that is not listed among the container's execs.
func (d *Daemon) probe(ctx context.Context, c *container.Container, t *task, cmd []string) (int, string, error) {
	c.Lock()
	paused, running := c.State.Paused, c.State.Running
	c.Unlock()
	if paused || !running {
		return 0, "", health.ErrSkip
	}
	proc, err := d.execProcess(c, &apicontainer.ExecCreateRequest{Cmd: cmd}, nil)
	if err != nil {
		return -1, "", err
	}
	id := stringid.New()
	d.publishExec(c, apievents.ActionExecCreate, id, cmd, nil)
	out := &limitedBuffer{max: health.MaxOutputLen}
	started := false
	died := func(code int) {
		if started {
			d.publishExec(c, apievents.ActionExecDie, id, nil, &code)
		}
	}
	err = t.client.Exec(ctx, runtime.ExecConfig{ID: id, Process: proc, Started: func(int) {
		started = true
		d.publishExec(c, apievents.ActionExecStart, id, cmd, nil)
	}}, &runtime.AttachStreams{Stdout: out, Stderr: out})
	if err == nil {
		var exit runtime.Exit
		exit, err = t.client.ExecWait(ctx, id)
		if err == nil {
			died(exit.Code)
			return exit.Code, out.String(), nil
		}
	}
	if ctx.Err() != nil {
		// Timed out: the probe is killed and reaped in the background.
		bg := context.WithoutCancel(ctx)
		go func() {
			_ = t.client.ExecKill(bg, id, syscall.SIGKILL)
			if exit, err := t.client.ExecWait(d.bg, id); err == nil {
				died(exit.Code)
			}
		}()
		return -1, out.String(), ctx.Err()
	}
	return -1, out.String(), err
}

// recordHealth applies a probe result to c's state and announces a
// status change.
func (d *Daemon) recordHealth(ctx context.Context, c *container.Container, cfg *health.Config, r *apicontainer.HealthcheckResult) apicontainer.HealthStatus {
	c.Lock()
	h := c.State.Health
	if h == nil || !c.State.Running || ctx.Err() != nil {
		c.Unlock()
		return apicontainer.NoHealthcheck
	}
	changed := health.Record(h, cfg, c.State.StartedAt, r)
	status := h.Status
	if err := d.containers.Save(c); err != nil {
		slog.Warn("saving container state", "id", c.ID, "err", err)
	}
	attrs := d.containerAttrs(c)
	c.Unlock()
	if changed {
		d.events.Publish(apievents.ContainerEventType, apievents.Action(string(apievents.ActionHealthStatus)+": "+string(status)), c.ID, attrs)
	}
	return status
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n := b.max - len(b.buf); n > 0 {
		b.buf = append(b.buf, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
