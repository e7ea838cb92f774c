package monitor

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/logger"
	"github.com/tug-project/tug/internal/trace"
)

// Config is what the shim hands over to the monitor: the container, its
// running init and the files the monitor takes over (fds, -1 for none).
type Config struct {
	ID        string
	StateDir  string
	LogPath   string // "" for none
	LogRotate logger.Rotation
	LogFormat logger.Format
	Terminal  bool
	OpenStdin bool
	StdinOnce bool
	IdleExit  time.Duration // see runtime.Config

	Pid      int    // the container's init, a child of this process
	ExecFifo string // the fifo the init waits on (execFifo)
	OOMFile  string // the memory cgroup's file counting OOM kills; "" for none
	// Cgroups are the container's cgroup directories, removed by the
	// monitor itself unless SharedPidNS: then a helper kills what is left.
	Cgroups     []string
	SharedPidNS bool

	StdinFd, StdoutFd, StderrFd, ConsoleFd int // the shim's ends of the init's stdio
	ListenFd                               int // the shim's socket, listening

	Started bool   // the shim has let the init execute the user's command
	Conns   []Conn // clients the shim served before it executed the monitor
	ExeFd   int    // the shim binary, run for the helpers
}

// ConnKind says what a client handed over by the shim waits for.
type ConnKind string

const (
	ConnAttach      ConnKind = "attach"       // an attacher, answered: the output from now on
	ConnAttachStdin ConnKind = "attach-stdin" // the same, its stdin to the init
	ConnWait        ConnKind = "wait"         // a waiter, not answered yet
	ConnRequest     ConnKind = "request"      // a request to serve: its line was read
)

// Conn is a client connection handed over by the shim.
type Conn struct {
	Fd      int
	Kind    ConnKind
	Request string // ConnRequest: the request line
}

// Args is the command line Main parses for cfg.
func (cfg Config) Args() []string {
	args := []string{"--id", cfg.ID, "--state-dir", cfg.StateDir, "--log", cfg.LogPath,
		"--pid", strconv.Itoa(cfg.Pid), "--exec-fifo", cfg.ExecFifo, "--oom-file", cfg.OOMFile,
		"--idle-exit", cfg.IdleExit.String(),
		"--stdin-fd", strconv.Itoa(cfg.StdinFd), "--stdout-fd", strconv.Itoa(cfg.StdoutFd),
		"--stderr-fd", strconv.Itoa(cfg.StderrFd), "--console-fd", strconv.Itoa(cfg.ConsoleFd),
		"--listen-fd", strconv.Itoa(cfg.ListenFd), "--exe-fd", strconv.Itoa(cfg.ExeFd)}
	for _, p := range cfg.Cgroups {
		args = append(args, "--cgroup", p)
	}
	if cfg.SharedPidNS {
		args = append(args, "--shared-pidns")
	}
	if cfg.Started {
		args = append(args, "--started")
	}
	for _, c := range cfg.Conns {
		args = append(args, "--conn", strconv.Itoa(c.Fd)+":"+string(c.Kind)+":"+c.Request)
	}
	return append(args, StreamArgs(cfg.LogRotate, cfg.LogFormat, cfg.Terminal, cfg.OpenStdin, cfg.StdinOnce)...)
}

// StreamArgs are the flags the shim and the monitor share for a
// container's output and input: the log's rotation and format, a
// terminal, an open stdin and whether it closes after the first attach.
func StreamArgs(rot logger.Rotation, format logger.Format, terminal, openStdin, stdinOnce bool) []string {
	var args []string
	if rot.MaxSize > 0 {
		args = append(args, "--log-max-size", strconv.FormatInt(rot.MaxSize, 10), "--log-max-file", strconv.Itoa(rot.MaxFiles))
	}
	if format != logger.FormatJSONFile {
		args = append(args, "--log-format", string(format))
	}
	if terminal {
		args = append(args, "--terminal")
	}
	if openStdin {
		args = append(args, "--stdin")
	}
	if stdinOnce {
		args = append(args, "--stdin-once")
	}
	return args
}

func parse(args []string) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("monitor", flag.ContinueOnError)
	fs.StringVar(&cfg.ID, "id", "", "container ID")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "state directory")
	fs.StringVar(&cfg.LogPath, "log", "", "log file")
	fs.Int64Var(&cfg.LogRotate.MaxSize, "log-max-size", 0, "rotate the log at this size in bytes (0: never)")
	fs.IntVar(&cfg.LogRotate.MaxFiles, "log-max-file", 1, "log files kept, the current one included")
	fs.StringVar((*string)(&cfg.LogFormat), "log-format", "", `log format: "" (json-file) or "cri"`)
	fs.BoolVar(&cfg.Terminal, "terminal", false, "the init has a pty")
	fs.BoolVar(&cfg.OpenStdin, "stdin", false, "keep stdin open")
	fs.BoolVar(&cfg.StdinOnce, "stdin-once", false, "close stdin after the first attach ends")
	fs.DurationVar(&cfg.IdleExit, "idle-exit", 0, "exit this long after the container exited with no client (<0: never)")
	fs.IntVar(&cfg.Pid, "pid", 0, "the container's init")
	fs.StringVar(&cfg.ExecFifo, "exec-fifo", "", "the init's exec fifo")
	fs.StringVar(&cfg.OOMFile, "oom-file", "", "the memory cgroup's OOM kill count")
	fs.Func("cgroup", "a cgroup directory of the container (repeated)", func(p string) error {
		cfg.Cgroups = append(cfg.Cgroups, p)
		return nil
	})
	fs.BoolVar(&cfg.SharedPidNS, "shared-pidns", false, "the container shares a pid namespace")
	fs.BoolVar(&cfg.Started, "started", false, "the init has been let execute the user's command")
	fs.Func("conn", "FD:KIND[:REQUEST], a client handed over (repeated)", func(v string) error {
		parts := strings.SplitN(v, ":", 3)
		fd, err := strconv.Atoi(parts[0])
		if err != nil || len(parts) < 2 {
			return fmt.Errorf("bad --conn %q", v)
		}
		c := Conn{Fd: fd, Kind: ConnKind(parts[1])}
		if len(parts) == 3 {
			c.Request = parts[2]
		}
		cfg.Conns = append(cfg.Conns, c)
		return nil
	})
	for _, f := range []struct {
		p    *int
		name string
	}{{&cfg.StdinFd, "stdin-fd"}, {&cfg.StdoutFd, "stdout-fd"}, {&cfg.StderrFd, "stderr-fd"},
		{&cfg.ConsoleFd, "console-fd"}, {&cfg.ListenFd, "listen-fd"}, {&cfg.ExeFd, "exe-fd"}} {
		fs.IntVar(f.p, f.name, -1, "fd")
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if cfg.ID == "" || cfg.StateDir == "" || cfg.Pid <= 0 || cfg.ExeFd < 0 || cfg.ListenFd < 0 {
		return cfg, errors.New("monitor: --id, --state-dir, --pid, --exe-fd and --listen-fd are required")
	}
	return cfg, nil
}

// Main is the monitor (`tug-monitor monitor <args>`, cmd/tug-monitor): the
// shim, having created the container and served it until it was started,
// executes it in its place, so that it keeps the shim's pid and the init
// stays its child. It takes over the clients the shim kept, serves the
// shim's socket (requests that came meanwhile wait in its backlog) and
// exits after Shutdown. It returns the process exit code.
func Main(args []string) int {
	cfg, err := parse(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return Run(cfg)
}

// Run is the monitor on cfg in this process: Main's, or the shim's own when
// the container ended before the shim executed the monitor. The fds in
// cfg become the monitor's. It returns only if the monitor cannot be set
// up, with the process exit code: otherwise the process ends with the
// container's cleanup.
func Run(cfg Config) int {
	endSetup := trace.Span("shim/monitor-setup")
	// A shim per container: keep the heap small.
	debug.SetGCPercent(50)
	var logFile *os.File
	if f, err := os.OpenFile(filepath.Join(cfg.StateDir, LogName), os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_CLOEXEC, 0o600); err == nil {
		logFile = f
		slog.SetDefault(slog.New(slog.NewTextHandler(f, nil)))
	}
	s, err := newShim(cfg, logFile)
	if err != nil {
		// Like a shim that crashed: the init ends, the daemon finds no
		// shim and no exit status, and removes the rest (cgroup, state).
		slog.Error("monitor set-up", "err", err)
		_ = unix.Kill(cfg.Pid, unix.SIGKILL)
		return 1
	}
	endSetup()
	return s.serve()
}

// fdFile takes over an inherited fd, closed on exec from now on.
func fdFile(fd int, name string) *os.File {
	if fd < 0 {
		return nil
	}
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), name)
}

// pollFile takes over an inherited pipe or pty master: in non-blocking
// mode (the shim's Fd calls made it blocking), so that reading it waits
// in the poller instead of holding a thread.
func pollFile(fd int, name string) *os.File {
	if fd < 0 {
		return nil
	}
	_ = unix.SetNonblock(fd, true)
	return fdFile(fd, name)
}

func newShim(cfg Config, logFile *os.File) (_ *shim, retErr error) {
	s := &shim{cfg: cfg, pid: cfg.Pid, initReaped: make(chan struct{})}
	// Exec processes are left to the monitor by the helpers that start them.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, os.NewSyscallError("prctl(PR_SET_CHILD_SUBREAPER)", err)
	}
	var err error
	if s.pidfd, err = openPidfd(cfg.Pid); err != nil { // not reaped before the reaper watches it
		return nil, err
	}
	reaper, watched := newReaper(cfg.Pid)
	s.reaper = reaper
	exe := fdFile(cfg.ExeFd, "shim-binary")
	s.helper = &helper{exe: exe, root: filepath.Join(cfg.StateDir, LibctName), id: cfg.ID, stderr: logFile, reaper: reaper}
	ends := Ends{Stdout: pollFile(cfg.StdoutFd, "stdout"), Stderr: pollFile(cfg.StderrFd, "stderr"), Console: pollFile(cfg.ConsoleFd, "console")}
	if cfg.StdinFd >= 0 && cfg.StdinFd == cfg.ConsoleFd {
		ends.Stdin = ends.Console
	} else {
		ends.Stdin = pollFile(cfg.StdinFd, "stdin")
	}
	defer func() {
		if retErr != nil {
			for _, f := range []*os.File{ends.Stdout, ends.Stderr, ends.Console, ends.Stdin} {
				if f != nil {
					f.Close()
				}
			}
			if s.ln != nil {
				s.ln.Close()
			}
		}
	}()

	lf := fdFile(cfg.ListenFd, "shim.sock")
	ln, err := net.FileListener(lf)
	lf.Close()
	if err != nil {
		return nil, err
	}
	ul, ok := ln.(*net.UnixListener)
	if !ok {
		ln.Close()
		return nil, fmt.Errorf("listen fd %d is not a unix socket", cfg.ListenFd)
	}
	s.ln = ul
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
	s.started = cfg.Started
	adopted, err := s.adoptConns(cfg.Conns) // attachers before the output is read
	if err != nil {
		return nil, err
	}
	s.main.adopt(ends)
	initExit := watched[0]
	go s.main.reap(func() (unix.WaitStatus, error) {
		ws := <-initExit
		s.pidfd.close()
		close(s.initReaped)
		return ws, nil
	}, func(e *Exit) {
		trace.Add("shim/reaped", e.ExitedAt, e.ExitedAt)
		e.OOMKilled = oomKilled(cfg.OOMFile)
		if err := writeExit(cfg.StateDir, *e); err != nil {
			slog.Error("record exit", "err", err)
		}
	})
	for _, serve := range adopted {
		go serve()
	}
	return s, nil
}
