package monitor

import (
	"bufio"
	"errors"
	"log/slog"
	"net"
	"os"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/errdefs"
)

// execProc is an additional process the shim runs in its container (an
// exec): a helper starts it and leaves it to the monitor, which becomes
// its parent, holds its stdio or pty, streams them to its attacher (exec
// output is not logged), reaps it and keeps its exit status until a
// waiter has fetched it.
type execProc struct {
	id    string
	pid   int
	pidfd *pidfd
	io    *procIO
}

// handleExec serves the requests that concern exec processes.
func (s *shim) handleExec(c *net.UnixConn, br *bufio.Reader, req Request) {
	if req.Op == OpExec {
		s.execStart(c, br, req)
		return
	}
	if req.Op == OpPids {
		Reply(c, s.helper.run(OpPids))
		return
	}
	e := s.execByID(req.Exec)
	if e == nil {
		Reply(c, ErrResponse(errdefs.NotFound("No such exec instance: %s", req.Exec)))
		return
	}
	switch req.Op {
	case OpResize:
		if err := e.io.resize(req.Height, req.Width); err != nil {
			Reply(c, ErrResponse(err))
			return
		}
		Reply(c, Response{})
	case OpKill:
		if _, ok := e.io.exitStatus(); ok {
			Reply(c, ErrResponse(errdefs.Conflict("exec %s is not running", e.id)))
			return
		}
		if err := e.pidfd.signal(unix.Signal(req.Signal)); err != nil {
			if errors.Is(err, errDone) {
				Reply(c, ErrResponse(errdefs.Conflict("exec %s is not running", e.id)))
				return
			}
			Reply(c, ErrResponse(err))
			return
		}
		Reply(c, Response{})
	case OpWait:
		s.execWait(c, e)
	case OpState:
		r := Response{Pid: e.pid}
		if ex, ok := e.io.exitStatus(); ok {
			r.Exited, r.Exit = true, &ex
		}
		Reply(c, r)
	default:
		Reply(c, ErrResponse(errdefs.InvalidParameter("shim protocol: op %q does not apply to an exec", req.Op)))
	}
}

func (s *shim) execByID(id string) *execProc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.execs[id]
}

// execStart starts the process of req in the container. With req.Attach
// the connection then carries its stdio as frames (stdin from the client,
// output to it) until its output ends.
func (s *shim) execStart(c *net.UnixConn, br *bufio.Reader, req Request) {
	if req.Exec == "" || req.Process == nil || len(req.Process.Args) == 0 {
		Reply(c, ErrResponse(errdefs.InvalidParameter("shim protocol: exec needs an ID and a process")))
		return
	}
	e := &execProc{id: req.Exec, io: newProcIO(nil, slog.With("exec", req.Exec))}
	s.mu.Lock()
	if _, exited := s.main.exitStatus(); exited {
		s.mu.Unlock()
		Reply(c, ErrResponse(errdefs.Conflict("container %s is not running", s.cfg.ID)))
		return
	}
	if !s.started {
		s.mu.Unlock()
		Reply(c, ErrResponse(errdefs.Conflict("container %s is not running", s.cfg.ID)))
		return
	}
	if s.execs == nil {
		s.execs = map[string]*execProc{}
	}
	if _, dup := s.execs[e.id]; dup {
		s.mu.Unlock()
		Reply(c, ErrResponse(errdefs.Conflict("exec %s already exists", e.id)))
		return
	}
	s.execs[e.id] = e
	s.mu.Unlock()

	var a *attacher
	if req.Attach {
		// Registered before the output is read: the client sees all of it.
		a = newAttacher(c)
		e.io.attach(a)
	}
	var exited <-chan unix.WaitStatus
	err := e.io.start(req.Process.Terminal, req.OpenStdin, func(stdio ProcessIO) error {
		var files []*os.File
		if req.Process.Terminal {
			files = []*os.File{stdio.ConsoleSocket}
		} else {
			files = []*os.File{stdio.Stdin, stdio.Stdout, stdio.Stderr}
		}
		var perr error
		resp, err := s.helper.call(Request{Op: OpExec, Process: req.Process}, files, func(r Response) {
			if r.Err == "" && r.Pid > 0 {
				// Still the helper's child, which never waits for it: its
				// pid cannot be reused yet. Once the helper is gone it is
				// the monitor's.
				e.pid = r.Pid
				exited = s.reaper.watch(r.Pid)
				e.pidfd, perr = openPidfd(r.Pid)
			}
		})
		if err != nil {
			return err
		}
		if err := resp.AsError(); err != nil {
			return err
		}
		if exited == nil {
			return errors.New("exec helper: no pid")
		}
		return perr
	})
	if err != nil {
		if e.pidfd != nil {
			_ = e.pidfd.signal(unix.SIGKILL)
			<-exited
			e.pidfd.close()
		}
		s.mu.Lock()
		delete(s.execs, e.id)
		s.mu.Unlock()
		Reply(c, ErrResponse(err))
		return
	}
	go e.io.reap(func() (unix.WaitStatus, error) {
		ws := <-exited
		e.pidfd.close()
		return ws, nil
	}, nil)
	Reply(c, Response{Pid: e.pid}) // before any frame: the writer starts below
	if a == nil {
		return
	}
	e.io.stream(a, br, &s.writers, true, e.io.closeStdin)
}

// execWait answers once the process has exited and forgets it then; it
// gives up when the client goes away.
func (s *shim) execWait(c *net.UnixConn, e *execProc) {
	ex, ok := waitExit(c, e.io)
	if !ok {
		return
	}
	Reply(c, Response{Exited: true, Exit: &ex})
	s.mu.Lock()
	if s.execs[e.id] == e {
		delete(s.execs, e.id)
	}
	s.mu.Unlock()
}
