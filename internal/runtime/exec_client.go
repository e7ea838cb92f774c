package runtime

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/runtime/monitor"
)

// ExecConfig describes an additional process to run in a running
// container (an exec).
type ExecConfig struct {
	ID        string         // exec ID, unique in the container
	Process   *specs.Process // complete: args, env, cwd, user, capabilities; Terminal gives it a pty
	OpenStdin bool           // give it a stdin (the client's, when attached)
	// Started, if set, is called with the host pid once the process runs,
	// before any of its output reaches the streams.
	Started func(pid int)
}

// Exec starts an additional process in the container through its shim,
// which becomes its parent: it joins the container's namespaces and cgroup
// and dies with the container. With s nil it returns once the process
// runs. Otherwise it streams like Attach (s.Stdin to the process, its
// output to s.Stdout and s.Stderr) until the process's output ends (nil),
// the detach keys are typed (ErrDetached) or ctx is done. A start failure
// is returned before Started is called: a command that cannot be found
// has class errdefs.ErrCommandNotFound, one that cannot be executed
// errdefs.ErrCannotInvoke, a container that is not running
// errdefs.ErrConflict.
func (c *Client) Exec(ctx context.Context, cfg ExecConfig, s *AttachStreams) error {
	conn, err := c.dial(ctx)
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	req := monitor.Request{Op: monitor.OpExec, Exec: cfg.ID, Process: cfg.Process, OpenStdin: cfg.OpenStdin, Attach: s != nil}
	if err := writeRequest(conn, req); err != nil {
		return ctxErr(ctx, err)
	}
	br := bufio.NewReaderSize(conn, 32<<10)
	resp, err := readResponse(br)
	if err != nil {
		if errors.Is(err, errShimGone) {
			return errdefs.Conflict("container is not running")
		}
		return ctxErr(ctx, err)
	}
	if cfg.Started != nil {
		cfg.Started(resp.Pid)
	}
	if s == nil {
		return nil
	}
	return streamFrames(ctx, conn, br, *s)
}

// streamFrames copies the frames of an attach connection to s, and s.Stdin
// to it, until the output ends.
func streamFrames(ctx context.Context, conn *net.UnixConn, br *bufio.Reader, s AttachStreams) error {
	detached := make(chan struct{})
	if s.Stdin != nil {
		keys := s.DetachKeys
		if keys == nil {
			keys = DefaultDetachKeys
		}
		go copyStdin(conn, s.Stdin, keys, detached)
	}
	stdout, stderr := s.Stdout, s.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	buf := make([]byte, 32<<10)
	for {
		kind, p, err := monitor.ReadFrame(br, buf)
		if err != nil {
			select {
			case <-detached:
				return ErrDetached
			default:
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
				return nil
			}
			return err
		}
		switch kind {
		case monitor.FrameStdout:
			if _, err := stdout.Write(p); err != nil {
				return err
			}
		case monitor.FrameStderr:
			if _, err := stderr.Write(p); err != nil {
				return err
			}
		case monitor.FrameEnd:
			return nil
		}
	}
}

// ExecResize sets the size of an exec's terminal (no-op without one).
func (c *Client) ExecResize(ctx context.Context, id string, height, width uint) error {
	_, err := c.call(ctx, monitor.Request{Op: monitor.OpResize, Exec: id, Height: height, Width: width})
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	return err
}

// ExecKill sends sig to an exec's process.
func (c *Client) ExecKill(ctx context.Context, id string, sig syscall.Signal) error {
	_, err := c.call(ctx, monitor.Request{Op: monitor.OpKill, Exec: id, Signal: int(sig)})
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	return err
}

// ExecWait blocks until the exec's process has exited and returns how. The
// shim forgets the exec once a wait has returned its status. When the
// shim is gone (the container ended with it), the exec was killed with the
// container: 137.
func (c *Client) ExecWait(ctx context.Context, id string) (Exit, error) {
	resp, err := c.call(ctx, monitor.Request{Op: monitor.OpWait, Exec: id})
	if errors.Is(err, errShimGone) {
		return Exit{Code: 128 + int(syscall.SIGKILL)}, nil
	}
	if err != nil {
		return Exit{}, err
	}
	if resp.Exit == nil {
		return Exit{}, errors.New("shim protocol: wait without exit status")
	}
	return *resp.Exit, nil
}

// Pids returns the host pids of the container's processes (its cgroup).
func (c *Client) Pids(ctx context.Context) ([]int, error) {
	resp, err := c.call(ctx, monitor.Request{Op: monitor.OpPids})
	if errors.Is(err, errShimGone) {
		return nil, errdefs.Conflict("container is not running")
	}
	if err != nil {
		return nil, err
	}
	return resp.Pids, nil
}
