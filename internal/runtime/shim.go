package runtime

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/logger"
	"github.com/tug-project/tug/internal/runtime/libct"
	"github.com/tug-project/tug/internal/runtime/monitor"
	"github.com/tug-project/tug/internal/trace"
)

// syncFd is where Spawn hands the shim the pipe on which it reports the
// creation result.
const syncFd = 3

// ShimMain is the shim (`tug-shim shim <args>`, cmd/tug-shim): it creates
// the container described by its flags with libcontainer, reports it,
// serves StateDir/shim.sock until the container is started
// (serveUntilStart), then executes the monitor (`tug-monitor monitor`,
// internal/runtime/monitor) in its place with the files it must keep: the
// same process, so the container's init stays its child, without
// libcontainer's code and heap. The monitor serves the socket from then
// on and exits after Shutdown. A container that ends within monitorGrace of
// its start is monitored by this process itself (monitor.Run): executing
// the monitor would only delay its reaping. ShimMain returns the process
// exit code on failure.
//
// A warm shim (`shim --warm`, Pool) first waits for its flags on fd 4,
// and exits with 0 when none come.
func ShimMain(args []string) int {
	libct.RaiseTimerSlack()
	if len(args) > 0 && args[0] == "--warm" {
		trace.Enabled() // opens the trace file, if any, while waiting
		libct.Prewarm()
		job, ok, err := awaitJob()
		if !ok {
			if err != nil {
				fmt.Fprintln(os.Stderr, "warm shim:", err)
				return 1
			}
			return 0
		}
		args = takeJob(job)
	}
	trace.Add("shim/main", time.Now(), time.Now())
	var cfg Config
	var monitorBinary string
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
	fs.DurationVar(&cfg.MonitorGrace, "monitor-grace", monitorGrace, "how long to wait after the start for the container to end before executing the monitor")
	fs.StringVar(&monitorBinary, "monitor", "", "the monitor binary executed once the container is created")
	syncPipe := fs.Bool("sync", false, "report the creation result on fd 3")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if f, err := os.OpenFile(filepath.Join(cfg.StateDir, monitor.LogName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
		slog.SetDefault(slog.New(slog.NewTextHandler(f, nil)))
	}
	h, err := create(cfg, monitorBinary)
	if err != nil {
		report(*syncPipe, monitor.ErrResponse(err))
		return 1
	}
	report(*syncPipe, monitor.Response{Pid: h.ct.Pid()})
	h.serveUntilStart()
	if h.cfg.Started && h.initEnded(cfg.MonitorGrace) {
		if cfg, err := h.ownFds(); err == nil {
			trace.Add("shim/monitor-in-process", time.Now(), time.Now())
			code := monitor.Run(cfg)
			goruntime.KeepAlive(h) // its files hold the fds cfg has duplicates of
			return code
		}
	}
	err = h.handOver()
	slog.Error("the container is lost", "err", err) // handOver returns only on failure
	return 1
}

// report reports the creation result on syncFd (with --sync), or an
// error on stderr.
func report(syncPipe bool, r monitor.Response) {
	if !syncPipe {
		if err := r.AsError(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		return
	}
	f := os.NewFile(syncFd, "sync")
	_ = json.NewEncoder(f).Encode(r)
	f.Close()
}

// handover is a created container about to be handed over to the monitor.
type handover struct {
	ct      *libct.Container
	ln      *net.UnixListener // the shim's socket, served until the container is started
	monitor string            // the monitor binary
	cfg     monitor.Config    // the monitor's, with the fds below
	files   []*os.File        // what the monitor inherits
}

// create makes the shim's socket and pid file, creates the container and
// prepares the hand-over. On error it leaves nothing behind but what
// Spawn removes (the state dir).
func create(cfg Config, monitorBinary string) (_ *handover, retErr error) {
	if monitorBinary == "" {
		return nil, errors.New("shim: no --monitor binary")
	}
	// Checked first: the container is reported created before the
	// monitor is executed.
	if err := unix.Access(monitorBinary, unix.X_OK); err != nil {
		return nil, fmt.Errorf("the monitor %s: %w", monitorBinary, err)
	}
	h := &handover{monitor: monitorBinary}
	defer func() {
		if retErr != nil {
			for _, f := range h.files {
				f.Close()
			}
			if h.ln != nil {
				h.ln.Close()
			}
		}
	}()
	sock := filepath.Join(cfg.StateDir, monitor.SockName)
	_ = os.Remove(sock)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	h.ln = ln
	// Its own fd, not a copy from File: that would be set to blocking mode
	// (Fd), and the accept deadline of serveUntilStart would not work.
	rc, err := ln.SyscallConn()
	if err != nil {
		return nil, err
	}
	listenFd := -1
	if err := rc.Control(func(fd uintptr) { listenFd = int(fd) }); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(cfg.StateDir, monitor.PidName), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	// The log is opened here first so that a bad log path fails the
	// creation before anything is made; the monitor opens it again.
	if cfg.LogPath != "" {
		var log *logger.File
		switch cfg.LogFormat {
		case logger.FormatJSONFile:
			log, err = logger.OpenRotating(cfg.LogPath, cfg.LogRotate)
		case logger.FormatCRI:
			log, err = logger.OpenCRI(cfg.LogPath)
		default:
			err = fmt.Errorf("unknown log format %q", cfg.LogFormat)
		}
		if err != nil {
			return nil, err
		}
		log.Close()
	}
	// The binary this process runs from (the sealed copy): the monitor
	// runs it for the operations that need libcontainer.
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	h.files = append(h.files, exe)

	stdio, err := monitor.NewStdio(cfg.Terminal, cfg.OpenStdin)
	if err != nil {
		return nil, err
	}
	endCreate := trace.Span("shim/libct-create")
	ct, err := libct.Create(libct.CreateOpts{
		ID: cfg.ID, Root: filepath.Join(cfg.StateDir, monitor.LibctName), Bundle: cfg.Bundle,
		Stdin: stdio.Child.Stdin, Stdout: stdio.Child.Stdout, Stderr: stdio.Child.Stderr, ConsoleSocket: stdio.Child.ConsoleSocket,
	})
	endCreate()
	if err != nil {
		stdio.Close()
		return nil, err
	}
	h.ct = ct
	if err := stdio.Started(); err != nil {
		return nil, h.fail(err)
	}
	fd := func(f *os.File) int {
		if f == nil {
			return -1
		}
		h.files = append(h.files, f)
		return int(f.Fd())
	}
	h.cfg = monitor.Config{
		ID: cfg.ID, StateDir: cfg.StateDir, LogPath: cfg.LogPath, LogRotate: cfg.LogRotate, LogFormat: cfg.LogFormat,
		Terminal: cfg.Terminal, OpenStdin: cfg.OpenStdin, StdinOnce: cfg.StdinOnce, IdleExit: cfg.IdleExit,
		Pid: ct.Pid(), ExecFifo: ct.ExecFifo(), OOMFile: ct.OOMFile(), Cgroups: ct.CgroupPaths(), SharedPidNS: ct.SharesPidNS(),
		ListenFd: listenFd, ExeFd: int(exe.Fd()),
		StdinFd: -1, StdoutFd: fd(stdio.Parent.Stdout), StderrFd: fd(stdio.Parent.Stderr), ConsoleFd: fd(stdio.Parent.Console),
	}
	if stdio.Parent.Stdin != nil && stdio.Parent.Stdin == stdio.Parent.Console {
		h.cfg.StdinFd = h.cfg.ConsoleFd
	} else {
		h.cfg.StdinFd = fd(stdio.Parent.Stdin)
	}
	return h, nil
}

// startWindow bounds how long the shim serves a created container before
// it executes the monitor anyway (a container created and not started).
const startWindow = time.Second

// serveUntilStart serves the socket until the container is started, so
// that starting it does not wait for the monitor to come up: the monitor
// is executed while the container runs. Before the start the container
// has no output: an attacher is registered here (answered, handed over
// with its connection) as is a waiter (handed over unanswered). Any other
// request, or no start within startWindow, hands over at once, the
// request's connection with its request line.
func (h *handover) serveUntilStart() {
	_ = h.ln.SetDeadline(time.Now().Add(startWindow))
	for {
		c, err := h.ln.AcceptUnix()
		if err != nil {
			return // the window is over
		}
		line, err := readLine(c)
		if err != nil {
			c.Close()
			continue
		}
		var req monitor.Request
		_ = json.Unmarshal(line, &req)
		kind, started := monitor.ConnRequest, false
		switch {
		case req.Exec != "":
		case req.Op == monitor.OpAttach:
			kind = monitor.ConnAttach
			if req.Stdin {
				kind = monitor.ConnAttachStdin
			}
			monitor.Reply(c, monitor.Response{Pid: h.ct.Pid()})
		case req.Op == monitor.OpWait:
			kind = monitor.ConnWait
		case req.Op == monitor.OpStart:
			started = true
			endExec := trace.Span("shim/libct-exec")
			err := h.ct.Exec()
			endExec()
			if err != nil {
				monitor.Reply(c, monitor.ErrResponse(err))
			} else {
				h.cfg.Started = true
				monitor.Reply(c, monitor.Response{Pid: h.ct.Pid()})
			}
		}
		if !started {
			if err := h.keep(c, kind, line); err != nil {
				slog.Error("hand over a client", "err", err)
			}
		}
		c.Close()
		if started || kind == monitor.ConnRequest {
			return
		}
	}
}

// keep hands c over to the monitor.
func (h *handover) keep(c *net.UnixConn, kind monitor.ConnKind, line []byte) error {
	f, err := c.File()
	if err != nil {
		return err
	}
	h.files = append(h.files, f)
	h.cfg.Conns = append(h.cfg.Conns, monitor.Conn{Fd: int(f.Fd()), Kind: kind, Request: string(line)})
	return nil
}

// readLine reads a request line byte by byte: nothing after it may be
// read here, the monitor reads the rest.
func readLine(c *net.UnixConn) ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(startWindow))
	defer c.SetReadDeadline(time.Time{})
	var line []byte
	var b [1]byte
	for len(line) < 1<<20 {
		if _, err := c.Read(b[:]); err != nil {
			return nil, err
		}
		if b[0] == '\n' {
			return line, nil
		}
		line = append(line, b[0])
	}
	return nil, errors.New("request line too long")
}

// monitorGrace is how long the shim waits by default (Config.MonitorGrace),
// once the container is started, for its init to end before it executes
// the monitor. A container that ends within it (`run --rm IMG true`) is
// monitored by the shim itself, and its exit is collected sooner than by a
// monitor executed first (de-threading this process, loading the monitor,
// its runtime's start: ~4 ms here). Meanwhile the init's output waits in
// its pipe, and the attachers and waiters the shim kept wait for the
// monitor, whichever it is.
const monitorGrace = 20 * time.Millisecond

// initEnded reports whether the container's init ends within d. It is not
// reaped: the monitor does that.
func (h *handover) initEnded(d time.Duration) bool {
	fd, err := unix.PidfdOpen(h.ct.Pid(), 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return false
		default:
			return n > 0
		}
	}
}

// ownFds returns the monitor's configuration with duplicates of the fds
// it takes over, for the monitor run in this process: the shim's own
// files keep theirs (some are registered with its poller, and the monitor
// makes its listener from a file it then closes).
func (h *handover) ownFds() (_ monitor.Config, retErr error) {
	cfg := h.cfg
	cfg.Conns = append([]monitor.Conn(nil), h.cfg.Conns...)
	var dups []int
	defer func() {
		if retErr != nil {
			for _, fd := range dups {
				unix.Close(fd)
			}
		}
	}()
	dup := func(fd *int) error {
		if *fd < 0 {
			return nil
		}
		n, err := unix.FcntlInt(uintptr(*fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return os.NewSyscallError("fcntl(F_DUPFD_CLOEXEC)", err)
		}
		dups = append(dups, n)
		*fd = n
		return nil
	}
	same := cfg.StdinFd >= 0 && cfg.StdinFd == cfg.ConsoleFd
	for _, fd := range []*int{&cfg.StdoutFd, &cfg.StderrFd, &cfg.ConsoleFd, &cfg.ListenFd, &cfg.ExeFd} {
		if err := dup(fd); err != nil {
			return cfg, err
		}
	}
	if same {
		cfg.StdinFd = cfg.ConsoleFd
	} else if err := dup(&cfg.StdinFd); err != nil {
		return cfg, err
	}
	for i := range cfg.Conns {
		if err := dup(&cfg.Conns[i].Fd); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// fail ends the created container after an error.
func (h *handover) fail(err error) error {
	_ = h.ct.Signal(unix.SIGKILL)
	_, _ = h.ct.Wait()
	_ = h.ct.Destroy()
	return err
}

// handOver executes the monitor in this process. It returns only on
// failure, having ended the container.
func (h *handover) handOver() error {
	fds := []int{h.cfg.ListenFd}
	for _, f := range h.files {
		fds = append(fds, int(f.Fd()))
	}
	for _, fd := range fds {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil { // inherited across exec
			return h.fail(err)
		}
	}
	_ = os.Chdir("/") // libcontainer worked in the bundle
	argv := append([]string{h.monitor, "monitor"}, h.cfg.Args()...)
	trace.Add("shim/exec-monitor", time.Now(), time.Now())
	err := unix.Exec(h.monitor, argv, os.Environ())
	return h.fail(fmt.Errorf("execute the monitor %s: %w", h.monitor, err))
}
