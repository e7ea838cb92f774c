package runtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/logger"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/runtime/monitor"
	"github.com/tug-project/tug/internal/testutil"
)

// Tests of the shim and the container's init: spawn, the hand-over to the
// monitor, start, output, exit, kill, reconnect, idle exit and the
// container's defaults.

// The init's stdout and stderr reach an attacher and the json-file log,
// each stream in order.
func TestInitOutputReachesAttacherAndLog(t *testing.T) {
	b := setup(t, []string{"sh", "-c", "echo hi; echo oops >&2; echo bye"}, false)
	stdout, stderr, e := run(t, b, nil)
	if stdout != "hi\nbye\n" || stderr != "oops\n" {
		t.Errorf("output = %q, %q; want %q, %q", stdout, stderr, "hi\nbye\n", "oops\n")
	}
	if e.Code != 0 || e.ExitedAt.IsZero() {
		t.Errorf("Wait() = %+v, want code 0", e)
	}
	var got []string
	err := logger.Read(context.Background(), b.cfg.LogPath, logger.ReadOptions{Tail: -1}, func(r logger.Record) error {
		got = append(got, r.Stream+":"+string(r.Line))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// stdout and stderr are separate pipes: only the order within a stream is fixed.
	var out, errs []string
	for _, l := range got {
		if strings.HasPrefix(l, "stdout:") {
			out = append(out, l)
		} else {
			errs = append(errs, l)
		}
	}
	if strings.Join(out, "|") != "stdout:hi\n|stdout:bye\n" || strings.Join(errs, "|") != "stderr:oops\n" {
		t.Errorf("log = %q", got)
	}
	raw, _ := os.ReadFile(b.cfg.LogPath)
	if !bytes.HasPrefix(raw, []byte(`{"log":"`)) || !bytes.Contains(raw, []byte(`"stream":"stderr","time":"`)) {
		t.Errorf("log format: %s", raw)
	}
}

func TestWaitReturnsInitExitCode(t *testing.T) {
	b := setup(t, []string{"sh", "-c", "exit 3"}, false)
	_, _, e := run(t, b, nil)
	if e.Code != 3 {
		t.Errorf("Wait() code = %d, want 3", e.Code)
	}
}

// A killed init exits with 128+signal; killing it again is a conflict.
func TestKillEndsInitAndConflictsOnceExited(t *testing.T) {
	b := setup(t, []string{"sleep", "100"}, false)
	ctx := context.Background()
	c := spawn(t, b)
	pid, err := c.Start(ctx)
	if err != nil || pid <= 0 {
		t.Fatalf("Start() = %d, %v", pid, err)
	}
	if c.Pid() != pid {
		t.Errorf("Pid() = %d, want %d", c.Pid(), pid)
	}
	if err := c.Kill(ctx, syscall.SIGKILL); err != nil {
		t.Fatalf("Kill() = %v", err)
	}
	e, err := c.Wait(ctx)
	if err != nil || e.Code != 137 {
		t.Fatalf("Wait() = %+v, %v; want 137", e, err)
	}
	if err := c.Kill(ctx, syscall.SIGKILL); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("Kill(exited) = %v, want conflict", err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown() = %v", err)
	}
}

// A command that cannot run fails Spawn with Docker's error class and
// leaves no state behind.
func TestSpawnFailsWithErrorClassOfCommand(t *testing.T) {
	tests := []struct {
		args  []string
		class error
		text  string
	}{
		{[]string{"nosuch"}, errdefs.ErrCommandNotFound, `exec: "nosuch": executable file not found in $PATH`},
		{[]string{"/etc/passwd"}, errdefs.ErrCannotInvoke, `exec: "/etc/passwd": permission denied`},
		{[]string{"/bin"}, errdefs.ErrCannotInvoke, `exec: "/bin": is a directory`},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			b := setup(t, tt.args, false)
			_, err := Spawn(context.Background(), shimBinaries(t), b.cfg)
			if !errors.Is(err, tt.class) {
				t.Fatalf("Spawn() = %v, want class %v", err, tt.class)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Spawn() = %q, want %q", err, tt.text)
			}
			if _, err := os.Stat(b.cfg.StateDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state dir left after failure: %v", err)
			}
		})
	}
}

// Once the container is created and reported the shim executes the
// monitor in its own place: the same process (the init's parent) soon
// runs the monitor, which starts, signals and reaps the init.
func TestShimBecomesMonitorKeepingItsPid(t *testing.T) {
	b := setup(t, []string{"sleep", "100"}, false)
	ctx := context.Background()
	c := spawn(t, b)
	pidb, _ := os.ReadFile(filepath.Join(b.cfg.StateDir, monitor.PidName))
	shimPid, _ := strconv.Atoi(string(pidb))
	var args []string
	testutil.Eventually(t, 5*time.Second, func() bool {
		argv, _ := os.ReadFile("/proc/" + strconv.Itoa(shimPid) + "/cmdline")
		args = strings.Split(string(argv), "\x00")
		return len(args) > 1 && args[1] == "monitor"
	})
	if len(args) < 2 || args[1] != "monitor" {
		t.Errorf("shim %d runs %q, want the monitor", shimPid, args)
	}
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	status, _ := os.ReadFile("/proc/" + strconv.Itoa(c.Pid()) + "/status")
	if !strings.Contains(string(status), "\nPPid:\t"+strconv.Itoa(shimPid)+"\n") {
		t.Errorf("init %d is not the shim's (%d) child:\n%s", c.Pid(), shimPid, status)
	}
	if err := c.Kill(ctx, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if e, err := c.Wait(ctx); err != nil || e.Code != 137 {
		t.Errorf("Wait() = %+v, %v; want code 137", e, err)
	}
}

// A container that ends within the monitor grace of its start is monitored by
// the shim itself, which never executes the monitor: its output reaches
// the attacher and the log, its exit the waiter, and the shim exits after
// Shutdown. One that runs longer gets the monitor executed in the shim's
// place, after its start.
func TestShimMonitorsAContainerThatEndsAtOnceItself(t *testing.T) {
	ctx := context.Background()
	shimArgs := func(b box) []string {
		pidb, _ := os.ReadFile(filepath.Join(b.cfg.StateDir, monitor.PidName))
		argv, _ := os.ReadFile("/proc/" + strings.TrimSpace(string(pidb)) + "/cmdline")
		return strings.Split(string(argv), "\x00")
	}

	quick := setup(t, []string{"sh", "-c", "echo hi; exit 3"}, false)
	quick.cfg.MonitorGrace = time.Minute // however slow the machine
	c := spawn(t, quick)
	defer c.Close()
	out := newBuf()
	attached := make(chan struct{})
	attachErr := make(chan error, 1)
	go func() {
		attachErr <- c.Attach(ctx, AttachStreams{Stdout: out, Stderr: out, Attached: func() { close(attached) }})
	}()
	<-attached
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-attachErr; err != nil {
		t.Fatal(err)
	}
	if e, err := c.Wait(ctx); err != nil || e.Code != 3 || out.String() != "hi\n" {
		t.Errorf("Wait() = %+v, %v, output %q; want code 3 and hi", e, err, out.String())
	}
	if args := shimArgs(quick); len(args) < 2 || args[1] != "shim" {
		t.Errorf("the shim of a container that ended at once runs %q, want still the shim", args)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown() = %v", err)
	}

	long := setup(t, []string{"sleep", "100"}, false)
	c2 := spawn(t, long)
	defer c2.Close()
	if _, err := c2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var args []string
	testutil.Eventually(t, 5*time.Second, func() bool {
		args = shimArgs(long)
		return len(args) > 1 && args[1] == "monitor"
	})
	if err := c2.Kill(ctx, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if e, err := c2.Wait(ctx); err != nil || e.Code != 137 {
		t.Errorf("Wait() = %+v, %v; want code 137", e, err)
	}
	if err := c2.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown() = %v", err)
	}
}

// A shim answers Shutdown, having removed the container's state itself,
// before it exits: whether it monitors its container itself (one that
// ended at once) or executed the monitor. (Its accept loop used to end the
// process as soon as the cleanup closed the socket, unanswered: the
// client then took the shim for crashed and destroyed the container
// again.)
func TestShutdownIsAnsweredBeforeTheShimExits(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		args  []string
		grace time.Duration
	}{
		{"monitored by the shim", []string{"true"}, time.Minute},
		{"monitor executed", []string{"sleep", "0.3"}, time.Millisecond},
	} {
		b := setup(t, tc.args, false)
		b.cfg.MonitorGrace = tc.grace
		c := spawn(t, b)
		if _, err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		conn, err := c.dial(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeRequest(conn, monitor.Request{Op: monitor.OpShutdown}); err != nil {
			t.Fatal(err)
		}
		_, err = readResponse(bufio.NewReader(conn))
		conn.Close()
		if err != nil {
			t.Errorf("%s: Shutdown's answer: %v", tc.name, err)
		}
		if _, err := os.Stat(b.cfg.StateDir); !os.IsNotExist(err) {
			t.Errorf("%s: state dir after the answer: %v, want it removed by the shim", tc.name, err)
		}
	}
}

// A shim that cannot execute its monitor fails Spawn and leaves nothing
// behind: no container, cgroup or state (checkClean).
func TestSpawnWithoutMonitorFailsCleanly(t *testing.T) {
	b := setup(t, []string{"true"}, false)
	bins := shimBinaries(t)
	bins.Monitor = filepath.Join(t.TempDir(), "no-monitor")
	_, err := Spawn(context.Background(), bins, b.cfg)
	if err == nil || !strings.Contains(err.Error(), "no-monitor") {
		t.Fatalf("Spawn() = %v, want an error naming the monitor", err)
	}
	if _, err := os.Stat(b.cfg.StateDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir left after failure: %v", err)
	}
}

// A client that goes away (a daemon restart) can reconnect to a running
// container, and after its exit still finds the exit status.
func TestConnectFindsRunningAndExitedContainer(t *testing.T) {
	b := setup(t, []string{"sh", "-c", "read x; echo got $x; exit 5"}, false)
	b.cfg.OpenStdin = true
	ctx := context.Background()
	c := spawn(t, b)
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pid := c.Pid()
	c.Close() // the daemon goes away

	c2, err := Connect(ctx, b.cfg.StateDir)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	if c2.Pid() != pid {
		t.Errorf("Pid() after Connect = %d, want %d", c2.Pid(), pid)
	}
	out := newBuf()
	attached := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c2.Attach(ctx, AttachStreams{Stdin: strings.NewReader("x\n"), Stdout: out, Attached: func() { close(attached) }})
	}()
	<-attached
	if err := <-done; err != nil || out.String() != "got x\n" {
		t.Errorf("Attach() = %v, %q", err, out.String())
	}
	e, err := c2.Wait(ctx)
	if err != nil || e.Code != 5 {
		t.Fatalf("Wait() = %+v, %v", e, err)
	}
	// After the exit a reconnect still finds the status.
	c3, err := Connect(ctx, b.cfg.StateDir)
	if err != nil {
		t.Fatalf("Connect() after exit = %v", err)
	}
	if e, err := c3.Wait(ctx); err != nil || e.Code != 5 {
		t.Fatalf("Wait() after reconnect = %+v, %v", e, err)
	}
	if err := c3.Attach(ctx, AttachStreams{Stdout: out}); err != nil {
		t.Errorf("Attach() after exit = %v", err)
	}
	if e2, err := ReadExit(b.cfg.StateDir); err != nil || e2 != e {
		t.Errorf("ReadExit() = %+v, %v; want %+v", e2, err, e)
	}
	if err := c3.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadExit(b.cfg.StateDir); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("ReadExit() after Shutdown = %v, want not found", err)
	}
}

// A shim whose container has exited and that nobody talks to cleans up
// and exits, leaving only the exit status.
func TestIdleShimExitsKeepingExitStatus(t *testing.T) {
	b := setup(t, []string{"sh", "-c", "exit 7"}, false)
	b.cfg.IdleExit = 100 * time.Millisecond
	ctx := context.Background()
	c := spawn(t, b)
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pidb, _ := os.ReadFile(filepath.Join(b.cfg.StateDir, monitor.PidName))
	shimPid, _ := strconv.Atoi(string(pidb))
	if shimPid <= 0 {
		t.Fatalf("shim pid file = %q", pidb)
	}
	// The shim is gone once signal 0 finds no process (Spawn reaps it).
	testutil.Eventually(t, 5*time.Second, func() bool { return syscall.Kill(shimPid, 0) != nil })
	e, err := ReadExit(b.cfg.StateDir)
	if err != nil || e.Code != 7 {
		t.Fatalf("ReadExit() = %+v, %v", e, err)
	}
	if _, err := Connect(ctx, b.cfg.StateDir); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Connect() = %v, want not found", err)
	}
	if e, err := c.Wait(ctx); err != nil || e.Code != 7 {
		t.Errorf("Wait() without shim = %+v, %v", e, err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown() without shim = %v", err)
	}
}

// The container gets Docker's defaults: loopback up, no other link, the
// ID as hostname, the user's ids and home, masked /sys/firmware, read-only
// /proc/sys, the nofile limit, no capabilities for a non-root user.
func TestContainerGetsDockerDefaults(t *testing.T) {
	b := setupFn(t, []string{"sh", "-c", `ip -o link show lo | grep -o "<[A-Z,_]*>"; ls /sys/class/net; hostname; id; ls /sys/firmware | wc -l; grep -c "/proc/sys proc ro," /proc/mounts; ulimit -n; grep CapEff /proc/self/status; echo $HOME`}, false,
		func(rootfs string) []oci.SpecOpt { return []oci.SpecOpt{oci.WithUser(rootfs, "tester")} })
	stdout, stderr, e := run(t, b, nil)
	var rl syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	want := []string{"<LOOPBACK,UP,LOWER_UP>", "lo", b.cfg.ID[:12], "uid=1000(tester) gid=1000(tester) groups=50(staff)",
		"0", "1", strconv.FormatUint(min(rl.Max, 1048576), 10), "CapEff:\t0000000000000000", "/home/tester"}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(stdout), "\n")); diff != "" {
		t.Errorf("defaults (-want +got):\n%s\nstderr: %s", diff, stderr)
	}
	if e.Code != 0 {
		t.Errorf("exit %d", e.Code)
	}
}
