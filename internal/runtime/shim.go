package runtime

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/logger"
	"github.com/tug-project/tug/internal/runtime/libct"
	"github.com/tug-project/tug/internal/trace"
)

// syncFd is where Spawn hands the shim the pipe on which it reports the
// creation result.
const syncFd = 3

// ShimMain is the shim (`tug-shim shim <args>`, cmd/tug-shim): it creates the container
// described by its flags, serves clients on StateDir/shim.sock and exits
// after Shutdown. It returns the process exit code.
func ShimMain(args []string) int {
	trace.Add("shim/main", time.Now(), time.Now())
	var cfg Config
	fs := flag.NewFlagSet("shim", flag.ContinueOnError)
	fs.StringVar(&cfg.ID, "id", "", "container ID")
	fs.StringVar(&cfg.Bundle, "bundle", "", "bundle directory")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "state directory")
	fs.StringVar(&cfg.LogPath, "log", "", "json-file log")
	fs.Int64Var(&cfg.LogRotate.MaxSize, "log-max-size", 0, "rotate the log at this size in bytes (0: never)")
	fs.IntVar(&cfg.LogRotate.MaxFiles, "log-max-file", 1, "log files kept, the current one included")
	fs.StringVar((*string)(&cfg.LogFormat), "log-format", "", `log format: "" (json-file) or "cri"`)
	fs.BoolVar(&cfg.Terminal, "terminal", false, "allocate a pty")
	fs.BoolVar(&cfg.OpenStdin, "stdin", false, "keep stdin open")
	fs.BoolVar(&cfg.StdinOnce, "stdin-once", false, "close stdin after the first attach ends")
	fs.DurationVar(&cfg.IdleExit, "idle-exit", defaultIdleExit, "exit this long after the container exited with no client (<0: never)")
	syncPipe := fs.Bool("sync", false, "report the creation result on fd 3")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// A shim per container: keep the heap small.
	debug.SetGCPercent(50)

	var report *os.File
	if *syncPipe {
		report = os.NewFile(syncFd, "sync")
		unix.CloseOnExec(syncFd)
	}
	if f, err := os.OpenFile(filepath.Join(cfg.StateDir, shimLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
		slog.SetDefault(slog.New(slog.NewTextHandler(f, nil)))
	}

	s, err := newShim(cfg)
	if err != nil {
		if report != nil {
			_ = json.NewEncoder(report).Encode(errResponse(err))
			report.Close()
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		return 1
	}
	if report != nil {
		_ = json.NewEncoder(report).Encode(response{Pid: s.ct.Pid()})
		report.Close()
	}
	debug.FreeOSMemory() // what creating the container needed goes back to the OS
	return s.serve()
}

type shim struct {
	cfg  Config
	ct   *libct.Container
	ln   *net.UnixListener
	log  *logger.File
	main *procIO // the container's init

	mu        sync.Mutex
	writers   sync.WaitGroup // attachers' write loops, drained before the shim exits
	started   bool
	conns     int       // open client connections
	idleSince time.Time // last time conns dropped to 0

	execs map[string]*execProc // additional processes by exec ID (exec.go); under mu
}

// newShim creates the container. On error it leaves nothing behind but
// what Spawn removes (the state dir).
func newShim(cfg Config) (_ *shim, retErr error) {
	s := &shim{cfg: cfg}
	defer func() {
		if retErr != nil {
			s.closeAll()
		}
	}()

	sock := filepath.Join(cfg.StateDir, sockName)
	_ = os.Remove(sock)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	s.ln = ln
	if err := os.WriteFile(filepath.Join(cfg.StateDir, pidName), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	if cfg.LogPath != "" { // none: the log driver "none" keeps no log
		switch cfg.LogFormat {
		case logger.FormatJSONFile:
			s.log, err = logger.OpenRotating(cfg.LogPath, cfg.LogRotate)
		case logger.FormatCRI:
			s.log, err = logger.OpenCRI(cfg.LogPath)
		default:
			err = fmt.Errorf("unknown log format %q", cfg.LogFormat)
		}
		if err != nil {
			return nil, err
		}
	}

	s.main = newProcIO(s.log, slog.Default())
	err = s.main.start(cfg.Terminal, cfg.OpenStdin, func(stdio libct.ProcessIO) error {
		defer trace.Span("shim/libct-create")()
		ct, err := libct.Create(libct.CreateOpts{
			ID: cfg.ID, Root: filepath.Join(cfg.StateDir, libctName), Bundle: cfg.Bundle,
			Stdin: stdio.Stdin, Stdout: stdio.Stdout, Stderr: stdio.Stderr, ConsoleSocket: stdio.ConsoleSocket,
		})
		s.ct = ct
		return err
	})
	if err != nil {
		if s.ct != nil {
			_ = s.ct.Signal(unix.SIGKILL)
			_, _ = s.ct.Wait()
			_ = s.ct.Destroy()
		}
		return nil, err
	}
	go s.main.reap(s.ct.Wait, func(e *Exit) {
		trace.Add("shim/reaped", e.ExitedAt, e.ExitedAt)
		e.OOMKilled = s.ct.OOMKilled()
		if err := writeExit(s.cfg.StateDir, *e); err != nil {
			slog.Error("record exit", "err", err)
		}
	})
	return s, nil
}

// closeAll releases the shim's resources after a failed creation.
func (s *shim) closeAll() {
	if s.ln != nil {
		s.ln.Close()
	}
	if s.log != nil {
		s.log.Close()
	}
}

func (s *shim) serve() int {
	defer func() {
		if s.log != nil {
			s.log.Close()
		}
	}()
	if s.cfg.IdleExit >= 0 {
		go s.idleWatch()
	}
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return 0
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
	if err := s.ct.Destroy(); err != nil {
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
		if e.Name() != exitName {
			_ = os.RemoveAll(filepath.Join(s.cfg.StateDir, e.Name()))
		}
	}
}

func (s *shim) handle(c *net.UnixConn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		s.conns--
		if s.conns == 0 {
			s.idleSince = time.Now()
		}
		s.mu.Unlock()
	}()
	br := bufio.NewReaderSize(c, 4096)
	line, err := br.ReadSlice('\n')
	if err != nil {
		return
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		reply(c, errResponse(errdefs.InvalidParameter("shim protocol: %v", err)))
		return
	}
	if req.Exec != "" || req.Op == opExec || req.Op == opPids {
		s.handleExec(c, br, req)
		return
	}
	switch req.Op {
	case opState:
		r := response{Pid: s.ct.Pid()}
		if e, ok := s.main.exitStatus(); ok {
			r.Exited, r.Exit = true, &e
		}
		reply(c, r)
	case opStart:
		reply(c, s.start())
	case opAttach:
		s.attach(c, br, req.Stdin)
	case opResize:
		if err := s.main.resize(req.Height, req.Width); err != nil {
			reply(c, errResponse(err))
			return
		}
		reply(c, response{})
	case opKill:
		reply(c, s.kill(unix.Signal(req.Signal)))
	case opWait:
		if e, ok := waitExit(c, s.main); ok {
			reply(c, response{Exited: true, Exit: &e})
		}
	case opShutdown:
		s.shutdown(c)
	case opPause, opResume:
		reply(c, s.freeze(req.Op == opPause))
	case opReopen:
		if err := s.log.Reopen(); err != nil {
			reply(c, errResponse(err))
		} else {
			reply(c, response{})
		}
	default:
		reply(c, errResponse(errdefs.InvalidParameter("shim protocol: unknown op %q", req.Op)))
	}
}

func reply(w io.Writer, r response) {
	b, _ := json.Marshal(r)
	_, _ = w.Write(append(b, '\n'))
}

func (s *shim) start() response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.main.exitStatus(); ok {
		return errResponse(errdefs.Conflict("container %s has exited", s.cfg.ID))
	}
	if s.started {
		return errResponse(errdefs.Conflict("container %s is already running", s.cfg.ID))
	}
	endExec := trace.Span("shim/libct-exec")
	err := s.ct.Exec()
	endExec()
	if err != nil {
		return errResponse(err)
	}
	s.started = true
	return response{Pid: s.ct.Pid()}
}

func (s *shim) kill(sig unix.Signal) response {
	if _, ok := s.main.exitStatus(); ok {
		return errResponse(errdefs.Conflict("container %s is not running", s.cfg.ID))
	}
	if err := s.ct.Signal(sig); err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			return errResponse(errdefs.Conflict("container %s is not running", s.cfg.ID))
		}
		return errResponse(err)
	}
	return response{}
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
		reply(c, errResponse(errdefs.Conflict("container %s is running", s.cfg.ID)))
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
	reply(c, response{})
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
	reply(c, response{Pid: s.ct.Pid()})
	if !ok {
		_, _ = c.Write(makeFrame(frameEnd, nil))
		return
	}
	s.main.stream(a, br, &s.writers, withStdin, func() {
		if s.cfg.StdinOnce {
			s.main.closeStdin()
		}
	})
}
