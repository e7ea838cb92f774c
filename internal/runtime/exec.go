package runtime

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/runtime/libct"
)

// execProc is an additional process the shim runs in its container (an
// exec): the shim is its parent, holds its stdio or pty, streams them to
// its attachers (exec output is not logged), reaps it and keeps its exit
// status until a waiter has fetched it.
type execProc struct {
	id      string
	proc    *libct.Process
	stdin   *os.File // pipe write end or pty master; nil without stdin
	console *os.File // pty master, with a terminal

	mu        sync.Mutex
	attachers map[*attacher]struct{}
	outDone   bool
	stdinShut bool

	pumps  sync.WaitGroup
	exited chan struct{} // closed once exit is set
	exit   Exit
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
		reply(c, e.resize(req.Height, req.Width))
	case opKill:
		select {
		case <-e.exited:
			reply(c, errResponse(errdefs.Conflict("exec %s is not running", e.id)))
			return
		default:
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
		select {
		case <-e.exited:
			r.Exited, r.Exit = true, &e.exit
		default:
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
	e := &execProc{id: req.Exec, attachers: map[*attacher]struct{}{}, exited: make(chan struct{})}
	s.mu.Lock()
	select {
	case <-s.exited:
		s.mu.Unlock()
		reply(c, errResponse(errdefs.Conflict("container %s is not running", s.cfg.ID)))
		return
	default:
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

	readers, err := e.run(s.ct, req)
	if err != nil {
		s.mu.Lock()
		delete(s.execs, e.id)
		s.mu.Unlock()
		reply(c, errResponse(err))
		return
	}

	var a *attacher
	if req.Attach {
		// Registered before the output is read: the client sees all of it.
		a = &attacher{conn: c, ch: make(chan []byte, attacherQueue), dead: make(chan struct{})}
		e.attachers[a] = struct{}{}
		s.writers.Add(1)
	}
	if e.console != nil {
		e.pumps.Add(1)
		go e.pump(e.console, frameStdout)
	} else {
		e.pumps.Add(2)
		go e.pump(readers[0], frameStdout)
		go e.pump(readers[1], frameStderr)
	}
	go e.reap()
	reply(c, response{Pid: e.proc.Pid()}) // before any frame: the writer starts below
	if a == nil {
		return
	}
	go func() {
		defer s.writers.Done()
		a.writeLoop()
	}()
	defer func() {
		e.mu.Lock()
		delete(e.attachers, a)
		e.mu.Unlock()
	}()
	readInput(br, a, e.writeStdin, e.closeStdin)
}

// run sets up the stdio of the process and starts it. Without a terminal
// it returns the read ends of stdout and stderr.
func (e *execProc) run(ct *libct.Container, req request) (readers [2]*os.File, retErr error) {
	var closers []*os.File // the process's ends, closed once it holds them
	defer func() {
		for _, f := range closers {
			f.Close()
		}
		if retErr != nil {
			for _, f := range readers {
				if f != nil {
					f.Close()
				}
			}
			if e.stdin != nil {
				e.stdin.Close()
			}
		}
	}()
	var stdio libct.ProcessIO
	var consoleSock *os.File
	if req.Process.Terminal {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return readers, err
		}
		consoleSock = os.NewFile(uintptr(fds[0]), "console")
		defer consoleSock.Close()
		stdio.ConsoleSocket = os.NewFile(uintptr(fds[1]), "console-child")
		closers = append(closers, stdio.ConsoleSocket)
	} else {
		if req.OpenStdin {
			r, w, err := os.Pipe()
			if err != nil {
				return readers, err
			}
			stdio.Stdin, e.stdin = r, w
			closers = append(closers, r)
		} else {
			f, err := os.Open(os.DevNull)
			if err != nil {
				return readers, err
			}
			stdio.Stdin = f
			closers = append(closers, f)
		}
		var err error
		if readers[0], stdio.Stdout, err = os.Pipe(); err != nil {
			return readers, err
		}
		closers = append(closers, stdio.Stdout)
		if readers[1], stdio.Stderr, err = os.Pipe(); err != nil {
			return readers, err
		}
		closers = append(closers, stdio.Stderr)
	}
	proc, err := ct.Run(req.Process, stdio)
	if err != nil {
		return readers, err
	}
	e.proc = proc
	if consoleSock != nil {
		stdio.ConsoleSocket.Close() // the process has sent the master by now
		closers = closers[:0]
		master, err := recvFd(consoleSock)
		if err != nil {
			_ = proc.Signal(unix.SIGKILL)
			_, _ = proc.Wait()
			return readers, fmt.Errorf("receive pty master: %w", err)
		}
		e.console = master
		if req.OpenStdin {
			e.stdin = master
		}
	}
	return readers, nil
}

// pump copies one output stream of the process to its attachers.
func (e *execProc) pump(r *os.File, kind byte) {
	defer e.pumps.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			e.broadcast(makeFrame(kind, buf[:n]))
		}
		if err != nil { // EOF, or EIO from a pty whose last slave closed
			break
		}
	}
	r.Close()
}

func (e *execProc) broadcast(frame []byte) {
	e.mu.Lock()
	list := make([]*attacher, 0, len(e.attachers))
	for a := range e.attachers {
		list = append(list, a)
	}
	e.mu.Unlock()
	for _, a := range list {
		a.send(frame)
	}
}

// reap waits for the process, waits (bounded) for its output to drain,
// ends the attachers and records the exit.
func (e *execProc) reap() {
	ws, err := e.proc.Wait()
	at := time.Now().UTC()
	if err != nil {
		slog.Error("wait exec", "exec", e.id, "err", err)
	}
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	drained := make(chan struct{})
	go func() { e.pumps.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(2 * time.Second): // a background process keeps the output open
		slog.Warn("exec output not drained after exit", "exec", e.id)
	}
	e.mu.Lock()
	e.outDone = true
	e.exit = Exit{Code: code, ExitedAt: at}
	if e.stdin != nil && e.stdin != e.console && !e.stdinShut {
		e.stdinShut = true
		e.stdin.Close()
	}
	for a := range e.attachers {
		a.end()
	}
	e.mu.Unlock()
	close(e.exited)
}

func (e *execProc) writeStdin(p []byte) {
	e.mu.Lock()
	w, shut := e.stdin, e.stdinShut
	e.mu.Unlock()
	if w == nil || shut {
		return
	}
	_, _ = w.Write(p)
}

// closeStdin ends the process's stdin when the client's ends (a pty stays
// open, as with Docker).
func (e *execProc) closeStdin() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stdinShut || e.stdin == nil || e.stdin == e.console {
		return
	}
	e.stdinShut = true
	e.stdin.Close()
}

func (e *execProc) resize(h, w uint) response {
	if e.console == nil {
		return response{}
	}
	ws := &unix.Winsize{Row: uint16(h), Col: uint16(w)}
	if err := unix.IoctlSetWinsize(int(e.console.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return errResponse(fmt.Errorf("resize: %w", err))
	}
	return response{}
}

// execWait answers once the process has exited and forgets it then; it
// gives up when the client goes away.
func (s *shim) execWait(c *net.UnixConn, e *execProc) {
	gone := make(chan struct{})
	go func() {
		var b [1]byte
		_, _ = c.Read(b[:])
		close(gone)
	}()
	select {
	case <-e.exited:
		ex := e.exit
		reply(c, response{Exited: true, Exit: &ex})
		s.mu.Lock()
		if s.execs[e.id] == e {
			delete(s.execs, e.id)
		}
		s.mu.Unlock()
	case <-gone:
	}
}
