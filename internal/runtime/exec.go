package runtime

import (
	"bufio"
	"log/slog"
	"net"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/runtime/libct"
)

// execProc is an additional process the shim runs in its container (an
// exec): the shim is its parent, holds its stdio or pty, streams them to
// its attacher (exec output is not logged), reaps it and keeps its exit
// status until a waiter has fetched it.
type execProc struct {
	id   string
	proc *libct.Process
	io   *procIO
}

// handleExec serves the requests that concern exec processes.
func (s *shim) handleExec(c *net.UnixConn, br *bufio.Reader, req request) {
	if req.Op == opExec {
		s.execStart(c, br, req)
		return
	}
	if req.Op == opPids {
		pids, err := s.ct.Processes()
		if err != nil {
			reply(c, errResponse(err))
			return
		}
		reply(c, response{Pids: pids})
		return
	}
	e := s.execByID(req.Exec)
	if e == nil {
		reply(c, errResponse(errdefs.NotFound("No such exec instance: %s", req.Exec)))
		return
	}
	switch req.Op {
	case opResize:
		if err := e.io.resize(req.Height, req.Width); err != nil {
			reply(c, errResponse(err))
			return
		}
		reply(c, response{})
	case opKill:
		if _, ok := e.io.exitStatus(); ok {
			reply(c, errResponse(errdefs.Conflict("exec %s is not running", e.id)))
			return
		}
		if err := e.proc.Signal(unix.Signal(req.Signal)); err != nil {
			reply(c, errResponse(err))
			return
		}
		reply(c, response{})
	case opWait:
		s.execWait(c, e)
	case opState:
		r := response{Pid: e.proc.Pid()}
		if ex, ok := e.io.exitStatus(); ok {
			r.Exited, r.Exit = true, &ex
		}
		reply(c, r)
	default:
		reply(c, errResponse(errdefs.InvalidParameter("shim protocol: op %q does not apply to an exec", req.Op)))
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
func (s *shim) execStart(c *net.UnixConn, br *bufio.Reader, req request) {
	if req.Exec == "" || req.Process == nil || len(req.Process.Args) == 0 {
		reply(c, errResponse(errdefs.InvalidParameter("shim protocol: exec needs an ID and a process")))
		return
	}
	e := &execProc{id: req.Exec, io: newProcIO(nil, slog.With("exec", req.Exec))}
	s.mu.Lock()
	if _, exited := s.main.exitStatus(); exited {
		s.mu.Unlock()
		reply(c, errResponse(errdefs.Conflict("container %s is not running", s.cfg.ID)))
		return
	}
	if !s.started {
		s.mu.Unlock()
		reply(c, errResponse(errdefs.Conflict("container %s is not running", s.cfg.ID)))
		return
	}
	if s.execs == nil {
		s.execs = map[string]*execProc{}
	}
	if _, dup := s.execs[e.id]; dup {
		s.mu.Unlock()
		reply(c, errResponse(errdefs.Conflict("exec %s already exists", e.id)))
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
	err := e.io.start(req.Process.Terminal, req.OpenStdin, func(stdio libct.ProcessIO) error {
		proc, err := s.ct.Run(req.Process, stdio)
		e.proc = proc
		return err
	})
	if err != nil {
		if e.proc != nil {
			_ = e.proc.Signal(unix.SIGKILL)
			_, _ = e.proc.Wait()
		}
		s.mu.Lock()
		delete(s.execs, e.id)
		s.mu.Unlock()
		reply(c, errResponse(err))
		return
	}
	go e.io.reap(e.proc.Wait, nil)
	reply(c, response{Pid: e.proc.Pid()}) // before any frame: the writer starts below
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
	reply(c, response{Exited: true, Exit: &ex})
	s.mu.Lock()
	if s.execs[e.id] == e {
		delete(s.execs, e.id)
	}
	s.mu.Unlock()
}
