package monitor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/logger"
	"github.com/tug-project/tug/internal/trace"
)

// shim is the monitor's state: the container's init (its child), the
// init's stdio and log, the clients on the socket and the execs.
type shim struct {
	cfg   Config
	pid   int // the container's init
	pidfd *pidfd

	initReaped chan struct{} // closed once the init is reaped
	ln         *net.UnixListener
	log        *logger.File
	main       *procIO // the container's init
	reaper     *reaper
	helper     *helper

	mu        sync.Mutex
	writers   sync.WaitGroup // attachers' write loops, drained before the shim exits
	started   bool
	conns     int       // open client connections
	idleSince time.Time // last time conns dropped to 0

	execs map[string]*execProc // additional processes by exec ID (exec.go); under mu
}

// serve serves the shim's socket. It does not return: the process ends
// with its cleanup (shutdown, idle exit).
func (s *shim) serve() int {
	if s.cfg.IdleExit >= 0 {
		go s.idleWatch()
	}
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				// Closed by cleanup, whose caller exits the process once
				// it has finished: the state removed, the shutdown
				// answered. Returning would end the process first.
				select {}
			}
			slog.Error("accept", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		go s.handle(c)
	}
}

// idleWatch makes a shim whose container has exited and that nobody talks
// to clean up and exit (exit.json stays for the daemon).
func (s *shim) idleWatch() {
	<-s.main.exited
	s.mu.Lock()
	if s.idleSince.IsZero() {
		s.idleSince = time.Now()
	}
	s.mu.Unlock()
	for {
		time.Sleep(min(s.cfg.IdleExit/4+time.Millisecond, 10*time.Second))
		s.mu.Lock()
		idle := s.conns == 0 && time.Since(s.idleSince) >= s.cfg.IdleExit
		s.mu.Unlock()
		if idle {
			slog.Info("idle after exit: cleaning up")
			s.cleanup(true)
			os.Exit(0)
		}
	}
}

// cleanup destroys the container and removes the state, keeping exit.json
// when keepExit is set.
func (s *shim) cleanup(keepExit bool) {
	if err := s.destroy(); err != nil {
		slog.Error("destroy", "err", err)
	}
	s.ln.Close()
	if !keepExit {
		if err := os.RemoveAll(s.cfg.StateDir); err != nil {
			slog.Error("remove state", "err", err)
		}
		return
	}
	ents, _ := os.ReadDir(s.cfg.StateDir)
	for _, e := range ents {
		if e.Name() != ExitName {
			_ = os.RemoveAll(filepath.Join(s.cfg.StateDir, e.Name()))
		}
	}
}

// destroy removes the container's cgroups once its init has exited: the
// kernel ends the other processes of its pid namespace with it. A
// container that shares a pid namespace may have processes left, which
// only libcontainer finds and kills: a helper destroys it.
func (s *shim) destroy() error {
	if s.cfg.SharedPidNS {
		return s.helper.run(OpDestroy).AsError()
	}
	return removeCgroups(s.cfg.Cgroups)
}

func (s *shim) handle(c *net.UnixConn) {
	defer s.connDone(c)
	br := bufio.NewReaderSize(c, 4096)
	line, err := br.ReadSlice('\n')
	if err != nil {
		return
	}
	s.dispatch(c, br, line)
}

// connDone closes a client's connection.
func (s *shim) connDone(c *net.UnixConn) {
	c.Close()
	s.mu.Lock()
	s.conns--
	if s.conns == 0 {
		s.idleSince = time.Now()
	}
	s.mu.Unlock()
}

// adoptConns takes over the clients the shim served before it executed
// the monitor: attachers are registered now, before any output is read;
// the returned functions serve each, in their own goroutines.
func (s *shim) adoptConns(conns []Conn) ([]func(), error) {
	var serve []func()
	for _, hc := range conns {
		f := fdFile(hc.Fd, "client")
		fc, err := net.FileConn(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		c, ok := fc.(*net.UnixConn)
		if !ok {
			fc.Close()
			return nil, fmt.Errorf("client fd %d is not a unix socket", hc.Fd)
		}
		s.conns++
		switch hc.Kind {
		case ConnAttach, ConnAttachStdin:
			a := newAttacher(c)
			s.main.attach(a)
			withStdin := hc.Kind == ConnAttachStdin
			serve = append(serve, func() {
				defer s.connDone(c)
				s.main.stream(a, bufio.NewReaderSize(c, 4096), &s.writers, withStdin, s.stdinEOF)
			})
		case ConnWait:
			serve = append(serve, func() {
				defer s.connDone(c)
				if e, ok := waitExit(c, s.main); ok {
					Reply(c, Response{Exited: true, Exit: &e})
				}
			})
		default:
			line := []byte(hc.Request)
			serve = append(serve, func() {
				defer s.connDone(c)
				s.dispatch(c, bufio.NewReaderSize(c, 4096), line)
			})
		}
	}
	return serve, nil
}

// stdinEOF is called when an attacher's stdin ends.
func (s *shim) stdinEOF() {
	if s.cfg.StdinOnce {
		s.main.closeStdin()
	}
}

// dispatch serves the request line of c.
func (s *shim) dispatch(c *net.UnixConn, br *bufio.Reader, line []byte) {
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		Reply(c, ErrResponse(errdefs.InvalidParameter("shim protocol: %v", err)))
		return
	}
	if req.Exec != "" || req.Op == OpExec || req.Op == OpPids {
		s.handleExec(c, br, req)
		return
	}
	switch req.Op {
	case OpState:
		r := Response{Pid: s.pid}
		if e, ok := s.main.exitStatus(); ok {
			r.Exited, r.Exit = true, &e
		}
		Reply(c, r)
	case OpStart:
		Reply(c, s.start())
	case OpAttach:
		s.attach(c, br, req.Stdin)
	case OpResize:
		if err := s.main.resize(req.Height, req.Width); err != nil {
			Reply(c, ErrResponse(err))
			return
		}
		Reply(c, Response{})
	case OpKill:
		Reply(c, s.kill(unix.Signal(req.Signal)))
	case OpWait:
		if e, ok := waitExit(c, s.main); ok {
			Reply(c, Response{Exited: true, Exit: &e})
		}
	case OpShutdown:
		s.shutdown(c)
	case OpPause, OpResume:
		Reply(c, s.freeze(req.Op))
	case OpReopen:
		if err := s.log.Reopen(); err != nil {
			Reply(c, ErrResponse(err))
		} else {
			Reply(c, Response{})
		}
	default:
		Reply(c, ErrResponse(errdefs.InvalidParameter("shim protocol: unknown op %q", req.Op)))
	}
}

// Reply writes r on w as a JSON line.
func Reply(w io.Writer, r Response) {
	b, _ := json.Marshal(r)
	_, _ = w.Write(append(b, '\n'))
}

func (s *shim) start() Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.main.exitStatus(); ok {
		return ErrResponse(errdefs.Conflict("container %s has exited", s.cfg.ID))
	}
	if s.started {
		return ErrResponse(errdefs.Conflict("container %s is already running", s.cfg.ID))
	}
	endExec := trace.Span("shim/libct-exec")
	err := s.execFifo()
	endExec()
	if err != nil {
		return ErrResponse(err)
	}
	s.started = true
	return Response{Pid: s.pid}
}

func (s *shim) kill(sig unix.Signal) Response {
	if _, ok := s.main.exitStatus(); ok {
		return ErrResponse(errdefs.Conflict("container %s is not running", s.cfg.ID))
	}
	if err := s.pidfd.signal(sig); err != nil {
		if errors.Is(err, errDone) {
			return ErrResponse(errdefs.Conflict("container %s is not running", s.cfg.ID))
		}
		return ErrResponse(err)
	}
	return Response{}
}

// freeze pauses (or resumes) the container's processes through the
// freezer cgroup, in a helper.
func (s *shim) freeze(op string) Response {
	if _, ok := s.main.exitStatus(); ok {
		return ErrResponse(errdefs.Conflict("container %s is not running", s.cfg.ID))
	}
	return s.helper.run(op)
}

// waitExit waits for p to exit and returns how; it gives up (false) when
// the client on c goes away first.
func waitExit(c *net.UnixConn, p *procIO) (Exit, bool) {
	gone := make(chan struct{})
	go func() {
		var b [1]byte
		_, _ = c.Read(b[:]) // returns when the client closes
		close(gone)
	}()
	select {
	case <-p.exited:
		return p.exit, true
	case <-gone:
		return Exit{}, false
	}
}

func (s *shim) shutdown(c *net.UnixConn) {
	if _, ok := s.main.exitStatus(); !ok {
		Reply(c, ErrResponse(errdefs.Conflict("container %s is running", s.cfg.ID)))
		return
	}
	// Attachers get the rest of the output before the shim goes away.
	flushed := make(chan struct{})
	go func() { s.writers.Wait(); close(flushed) }()
	select {
	case <-flushed:
	case <-time.After(2 * time.Second):
		slog.Warn("attachers not flushed before shutdown")
	}
	endCleanup := trace.Span("shim/cleanup")
	s.cleanup(false)
	endCleanup()
	Reply(c, Response{})
	// The client reads until EOF: the connection closes when this process is gone.
	os.Exit(0)
}

// attach streams the container's output to the client on c, and with
// withStdin the client's stdin to the container.
func (s *shim) attach(c *net.UnixConn, br *bufio.Reader, withStdin bool) {
	a := newAttacher(c)
	// Registered before the reply: output written once the client has it
	// reaches the client; the writer, started after the reply, sends it.
	ok := s.main.attach(a)
	Reply(c, Response{Pid: s.pid})
	if !ok {
		_, _ = c.Write(MakeFrame(FrameEnd, nil))
		return
	}
	s.main.stream(a, br, &s.writers, withStdin, s.stdinEOF)
}
