package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	apievents "github.com/moby/moby/api/types/events"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/runtime"
)

// pendingAttach is a client attached to a container that has not started
// yet; start hands it the shim and waits until it is registered there.
type pendingAttach struct {
	client     chan *runtime.Client
	registered chan struct{}
}

// releaseAttachers connects the attachers waiting for id's start to the
// shim, and returns once each is registered (or a short grace passed).
func (d *Daemon) releaseAttachers(id string, client *runtime.Client) {
	d.mu.Lock()
	waiting := d.attachers[id]
	delete(d.attachers, id)
	d.mu.Unlock()
	for _, p := range waiting {
		p.client <- client
	}
	for _, p := range waiting {
		if client == nil {
			continue
		}
		select {
		case <-p.registered:
		case <-time.After(2 * time.Second):
		}
	}
}

func (d *Daemon) addAttacher(id string) *pendingAttach {
	p := &pendingAttach{client: make(chan *runtime.Client, 1), registered: make(chan struct{})}
	d.mu.Lock()
	d.attachers[id] = append(d.attachers[id], p)
	d.mu.Unlock()
	return p
}

func (d *Daemon) dropAttacher(id string, p *pendingAttach) {
	d.mu.Lock()
	defer d.mu.Unlock()
	list := d.attachers[id]
	for i, q := range list {
		if q == p {
			d.attachers[id] = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(d.attachers[id]) == 0 {
		delete(d.attachers, id)
	}
}

// ContainerAttach connects a client's streams to a container. Attaching to
// a container that has not started waits for its start.
func (d *Daemon) ContainerAttach(ctx context.Context, ref string, opts backend.ContainerAttachOptions) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	var detachKeys []byte
	if opts.DetachKeys != "" {
		if detachKeys, err = parseDetachKeys(opts.DetachKeys); err != nil {
			return errdefs.InvalidParameter("%s", err.Error())
		}
	}
	c.Lock()
	tty, openStdin := c.Config.Tty, c.Config.OpenStdin
	t := d.task(c.ID)
	var pending *pendingAttach
	if opts.Stream && (t == nil || !c.State.Running) {
		pending = d.addAttacher(c.ID)
		defer d.dropAttacher(c.ID, pending)
	}
	c.Unlock()

	stdin, stdout, stderr, err := opts.GetStreams(!tty)
	if err != nil {
		return err
	}
	if !opts.Stdout {
		stdout = nil
	}
	if !opts.Stderr || tty {
		stderr = nil
	}
	if opts.Logs && c.LogPath != "" { // none keeps no log to replay
		if err := d.copyLogs(ctx, c.LogPath, c.Config.Tty, backend.ContainerLogsOptions{Stdout: opts.Stdout, Stderr: opts.Stderr, Tail: -1}, stdout, stderr); err != nil {
			return err
		}
	}
	if !opts.Stream {
		return nil
	}
	var client *runtime.Client
	var registered func()
	if pending != nil {
		select {
		case client = <-pending.client:
			if client == nil {
				return nil // the start failed
			}
			registered = func() { close(pending.registered) }
		case <-c.Removed():
			return nil
		case <-ctx.Done():
			return nil
		}
	} else {
		client = t.client
	}
	if !tty {
		// As Docker: the detach keys apply only with a TTY; without one
		// stdin is data and goes through whole.
		detachKeys = []byte{}
	}
	streams := runtime.AttachStreams{Stdout: stdout, Stderr: stderr, DetachKeys: detachKeys, Attached: registered}
	if opts.Stdin && openStdin && stdin != nil {
		streams.Stdin = stdin
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionAttach, c.ID, d.containerAttrs(c))
	err = client.Attach(ctx, streams)
	if errors.Is(err, runtime.ErrDetached) {
		d.events.Publish(apievents.ContainerEventType, apievents.ActionDetach, c.ID, d.containerAttrs(c))
		return nil
	}
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

// ContainerResize sets the size of a container's TTY.
func (d *Daemon) ContainerResize(ctx context.Context, ref string, height, width uint) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	t := d.task(c.ID)
	if t == nil {
		return errdefs.Conflict("Container %s is not running", ref)
	}
	return t.client.Resize(ctx, height, width)
}

// parseDetachKeys reads Docker's detach key syntax: "ctrl-p,ctrl-q", "a,b".
func parseDetachKeys(s string) ([]byte, error) {
	var out []byte
	for _, k := range splitComma(s) {
		switch {
		case len(k) == 1:
			out = append(out, k[0])
		case len(k) == 6 && k[:5] == "ctrl-":
			ch := k[5]
			switch {
			case ch >= 'a' && ch <= 'z':
				out = append(out, ch-'a'+1)
			case ch == '@':
				out = append(out, 0)
			case ch == '[':
				out = append(out, 27)
			case ch == '\\':
				out = append(out, 28)
			case ch == ']':
				out = append(out, 29)
			case ch == '^':
				out = append(out, 30)
			case ch == '_':
				out = append(out, 31)
			default:
				return nil, fmt.Errorf("Unknown character: '%s'", k)
			}
		default:
			return nil, fmt.Errorf("Unknown character: '%s'", k)
		}
	}
	return out, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
