package daemon

import (
	"context"
	"io"
	"log/slog"

	apicontainer "github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/errdefs"
)

// The engine's side of the CRI's streaming calls (exec and attach through
// the streaming server): the Engine API's exec and attach, with the
// client's streams handed over as they are (no Docker framing). A
// terminal size is {height, width}, as the Engine API's ConsoleSize.

// ExecStream runs cmd in running CRI container id with the streams that
// are not nil attached (with a terminal when tty: all its output goes to
// stdout) until its output ends, and returns its exit code. The terminal
// starts at size (when not nil); the sizes sent on resize are applied once
// the process runs.
func (b CRIContainers) ExecStream(ctx context.Context, id string, cmd []string, tty bool, size *[2]uint, stdin io.Reader, stdout, stderr io.Writer, resize <-chan [2]uint) (int, error) {
	if _, err := b.lookup(id); err != nil {
		return 0, err
	}
	execID, err := b.d.ContainerExecCreate(ctx, id, &apicontainer.ExecCreateRequest{
		Cmd: cmd, Tty: tty,
		AttachStdin: stdin != nil, AttachStdout: stdout != nil, AttachStderr: stderr != nil,
	})
	if err != nil {
		return 0, err
	}
	started := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go applySizes(ctx, started, done, resize, func(size [2]uint) error {
		return b.d.ContainerExecResize(ctx, execID, size[0], size[1])
	})
	err = b.d.ContainerExecStart(ctx, execID, backend.ExecStartOptions{
		Tty:         tty,
		ConsoleSize: size,
		Started:     func() { close(started) },
		GetStreams: func(bool) (io.ReadCloser, io.Writer, io.Writer, error) {
			var in io.ReadCloser
			if stdin != nil {
				in = io.NopCloser(stdin)
			}
			return in, stdout, stderr, nil
		},
	})
	if err != nil {
		return 0, err
	}
	if ctx.Err() != nil {
		return 0, ctx.Err() // the client went away: the process was killed
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

// AttachStream connects the streams that are not nil to running CRI
// container id until its output ends or ctx ends. The sizes sent on resize
// are applied to the container's terminal.
func (b CRIContainers) AttachStream(ctx context.Context, id string, stdin io.Reader, stdout, stderr io.Writer, resize <-chan [2]uint) error {
	c, err := b.lookup(id)
	if err != nil {
		return err
	}
	c.Lock()
	running := c.State.Running
	c.Unlock()
	if !running {
		return errdefs.Conflict("container %s is not running", id)
	}
	started := make(chan struct{})
	close(started)
	done := make(chan struct{})
	defer close(done)
	go applySizes(ctx, started, done, resize, func(size [2]uint) error {
		return b.d.ContainerResize(ctx, id, size[0], size[1])
	})
	return b.d.ContainerAttach(ctx, id, backend.ContainerAttachOptions{
		Stdin: stdin != nil, Stdout: stdout != nil, Stderr: stderr != nil,
		Stream: true,
		GetStreams: func(bool) (io.ReadCloser, io.Writer, io.Writer, error) {
			var in io.ReadCloser
			if stdin != nil {
				in = io.NopCloser(stdin)
			}
			return in, stdout, stderr, nil
		},
	})
}

// applySizes applies each size sent on resize once started is closed,
// until done is closed or resize is.
func applySizes(ctx context.Context, started, done <-chan struct{}, resize <-chan [2]uint, apply func([2]uint) error) {
	select {
	case <-started:
	case <-done:
		return
	}
	for {
		select {
		case size, ok := <-resize:
			if !ok {
				return
			}
			if err := apply(size); err != nil {
				// The process may have just ended: nothing to resize.
				slog.DebugContext(ctx, "resizing a CRI stream's terminal", "err", err)
			}
		case <-done:
			return
		}
	}
}
