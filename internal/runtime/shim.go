package runtime

import (
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
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
// the container described by its flags with libcontainer, then executes
// the monitor (`tug-monitor monitor`, internal/runtime/monitor) in its
// place with the files it must keep: the same process, so the container's
// init stays its child, without libcontainer's code and heap. The monitor
// reports the creation result, serves clients on StateDir/shim.sock and
// exits after Shutdown. ShimMain returns only on failure, with the
// process exit code.
func ShimMain(args []string) int {
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
	fs.StringVar(&monitorBinary, "monitor", "", "the monitor binary executed once the container is created")
	syncPipe := fs.Bool("sync", false, "report the creation result on fd 3")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if f, err := os.OpenFile(filepath.Join(cfg.StateDir, monitor.LogName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
		slog.SetDefault(slog.New(slog.NewTextHandler(f, nil)))
	}
	sync := -1
	if *syncPipe {
		sync = syncFd
	}
	err := createAndHandOver(cfg, monitorBinary, sync)
	// Only a failure comes back here.
	if sync >= 0 {
		report := os.NewFile(uintptr(sync), "sync")
		_ = json.NewEncoder(report).Encode(monitor.ErrResponse(err))
		report.Close()
	} else {
		fmt.Fprintln(os.Stderr, err)
	}
	return 1
}

// createAndHandOver creates the container and executes the monitor. It
// returns only on failure, leaving nothing behind but what Spawn removes
// (the state dir).
func createAndHandOver(cfg Config, monitorBinary string, sync int) error {
	if monitorBinary == "" {
		return fmt.Errorf("shim: no --monitor binary")
	}
	// The log is opened here first so that a bad log path fails the
	// creation before anything is made; the monitor opens it again.
	if cfg.LogPath != "" {
		var lf *logger.File
		var err error
		switch cfg.LogFormat {
		case logger.FormatJSONFile:
			lf, err = logger.OpenRotating(cfg.LogPath, cfg.LogRotate)
		case logger.FormatCRI:
			lf, err = logger.OpenCRI(cfg.LogPath)
		default:
			err = fmt.Errorf("unknown log format %q", cfg.LogFormat)
		}
		if err != nil {
			return err
		}
		lf.Close()
	}
	// The binary this process runs from (the sealed copy): the monitor
	// runs it for the operations that need libcontainer.
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return err
	}
	defer exe.Close()

	stdio, err := monitor.NewStdio(cfg.Terminal, cfg.OpenStdin)
	if err != nil {
		return err
	}
	defer stdio.Close() // the files the monitor did not get
	endCreate := trace.Span("shim/libct-create")
	ct, err := libct.Create(libct.CreateOpts{
		ID: cfg.ID, Root: filepath.Join(cfg.StateDir, monitor.LibctName), Bundle: cfg.Bundle,
		Stdin: stdio.Child.Stdin, Stdout: stdio.Child.Stdout, Stderr: stdio.Child.Stderr, ConsoleSocket: stdio.Child.ConsoleSocket,
	})
	endCreate()
	if err != nil {
		return err
	}
	fail := func(err error) error {
		_ = ct.Signal(unix.SIGKILL)
		_, _ = ct.Wait()
		_ = ct.Destroy()
		return err
	}
	if err := stdio.Started(); err != nil {
		return fail(err)
	}

	mcfg := monitor.Config{
		ID: cfg.ID, StateDir: cfg.StateDir, LogPath: cfg.LogPath, LogRotate: cfg.LogRotate, LogFormat: cfg.LogFormat,
		Terminal: cfg.Terminal, OpenStdin: cfg.OpenStdin, StdinOnce: cfg.StdinOnce, IdleExit: cfg.IdleExit,
		Pid: ct.Pid(), ExecFifo: ct.ExecFifo(), OOMFile: ct.OOMFile(),
		StdinFd: -1, StdoutFd: -1, StderrFd: -1, ConsoleFd: -1, SyncFd: sync,
	}
	// The monitor inherits these fds (not closed on exec).
	var keepErr error
	keep := func(f *os.File) int {
		if f == nil {
			return -1
		}
		fd := int(f.Fd())
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil && keepErr == nil {
			keepErr = err
		}
		return fd
	}
	mcfg.StdinFd, mcfg.StdoutFd, mcfg.StderrFd = keep(stdio.Parent.Stdin), keep(stdio.Parent.Stdout), keep(stdio.Parent.Stderr)
	mcfg.ConsoleFd, mcfg.ExeFd = keep(stdio.Parent.Console), keep(exe)
	if sync >= 0 {
		keep(os.NewFile(uintptr(sync), "sync"))
	}
	if keepErr != nil {
		return fail(keepErr)
	}
	_ = os.Chdir("/") // libcontainer worked in the bundle
	argv := append([]string{monitorBinary, "monitor"}, mcfg.Args()...)
	trace.Add("shim/handover", time.Now(), time.Now())
	err = unix.Exec(monitorBinary, argv, os.Environ())
	return fail(fmt.Errorf("execute the monitor %s: %w", monitorBinary, err))
}
