package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
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
	"github.com/tug-project/tug/internal/runtime/libct"
	"github.com/tug-project/tug/internal/testutil"
)

// TestMain makes the test binary its own shim and container init, like tugd.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "init":
			libct.Init()
		case "shim":
			os.Exit(ShimMain(os.Args[2:]))
		}
	}
	code := m.Run()
	// The parents of the test cgroups and state dirs.
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/tug-test")
	for _, d := range append(dirs, "/sys/fs/cgroup/tug-test", testStateRoot) {
		_ = os.Remove(d)
	}
	os.Exit(code)
}

const testStateRoot = "/run/tug-test"

type box struct {
	cfg    Config
	rootfs string
}

func newID(t *testing.T) string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// setup writes a bundle for args and returns the shim config.
func setup(t *testing.T, args []string, tty bool, opts ...oci.SpecOpt) box {
	t.Helper()
	return setupFn(t, args, tty, func(rootfs string) []oci.SpecOpt { return append([]oci.SpecOpt{oci.WithUser(rootfs, "")}, opts...) })
}

// setupFn is setup with options that need the rootfs path.
func setupFn(t *testing.T, args []string, tty bool, optFn func(rootfs string) []oci.SpecOpt) box {
	t.Helper()
	testutil.RequiresRoot(t)
	rootfs := testutil.BusyboxRootfs(t)
	opts := optFn(rootfs)
	id := newID(t)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle")
	if err := os.Mkdir(bundle, 0o700); err != nil {
		t.Fatal(err)
	}
	spec, err := oci.New(append([]oci.SpecOpt{
		oci.WithRootfs(rootfs),
		oci.WithArgs(args),
		oci.WithTerminal(tty),
		oci.WithHostname(id[:12]),
		oci.WithCgroupsPath("/tug-test/" + id),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(testStateRoot, id[:16])
	cfg := Config{ID: id, Bundle: bundle, StateDir: stateDir, LogPath: filepath.Join(dir, id+"-json.log"), Terminal: tty}
	t.Cleanup(func() { checkClean(t, cfg) })
	return box{cfg: cfg, rootfs: rootfs}
}

// shimBinary is this test binary (see TestMain), or $TUG_SHIM_BINARY (e.g.
// a built tugd) to measure the real thing.
func shimBinary(t *testing.T) string {
	if b := os.Getenv("TUG_SHIM_BINARY"); b != "" {
		return b
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// checkClean shuts the container down if the test did not and verifies that
// nothing is left: no cgroup, no state dir, no shim.
func checkClean(t *testing.T, cfg Config) {
	t.Helper()
	ctx := context.Background()
	if c, err := Connect(ctx, cfg.StateDir); err == nil {
		_ = c.Kill(ctx, syscall.SIGKILL)
		_, _ = c.Wait(ctx)
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown() = %v", err)
		}
	} else {
		_ = removeState(cfg.StateDir)
	}
	if _, err := os.Stat(cfg.StateDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir %s left behind (%v)", cfg.StateDir, err)
	}
	cg, _ := filepath.Glob("/sys/fs/cgroup/*/tug-test/" + cfg.ID)
	cg2, _ := filepath.Glob("/sys/fs/cgroup/tug-test/" + cfg.ID)
	if len(cg)+len(cg2) > 0 {
		t.Errorf("cgroups left behind: %v %v", cg, cg2)
	}
	if out, _ := runCmd("pgrep", "-f", cfg.StateDir); out != "" {
		t.Errorf("processes left behind: %s", out)
	}
}

func runCmd(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

func spawn(t *testing.T, b box) *Client {
	t.Helper()
	c, err := Spawn(context.Background(), shimBinary(t), b.cfg)
	if err != nil {
		t.Fatalf("Spawn() = %v", err)
	}
	return c
}

type syncBuf struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newBuf() *syncBuf { return &syncBuf{mu: make(chan struct{}, 1)} }
func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}
func (b *syncBuf) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

// run spawns, attaches, starts and waits; it returns stdout, stderr and the exit.
func run(t *testing.T, b box, stdin io.Reader) (string, string, Exit) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := spawn(t, b)
	defer c.Close()
	stdout, stderr := newBuf(), newBuf()
	attached := make(chan struct{})
	attachErr := make(chan error, 1)
	go func() {
		attachErr <- c.Attach(ctx, AttachStreams{Stdin: stdin, Stdout: stdout, Stderr: stderr, Attached: func() { close(attached) }})
	}()
	<-attached
	if _, err := c.Start(ctx); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	if err := <-attachErr; err != nil {
		t.Fatalf("Attach() = %v", err)
	}
	e, err := c.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait() = %v", err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown() = %v", err)
	}
	return stdout.String(), stderr.String(), e
}

func TestEchoAndLog(t *testing.T) {
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

func TestExitCode(t *testing.T) {
	b := setup(t, []string{"sh", "-c", "exit 3"}, false)
	_, _, e := run(t, b, nil)
	if e.Code != 3 {
		t.Errorf("Wait() code = %d, want 3", e.Code)
	}
}

func TestKill(t *testing.T) {
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

func TestTTY(t *testing.T) {
	b := setup(t, []string{"sh", "-c", "tty; sleep 0.3; stty size"}, true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := spawn(t, b)
	out := newBuf()
	attached := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c.Attach(ctx, AttachStreams{Stdout: out, Attached: func() { close(attached) }})
	}()
	<-attached
	if _, err := c.Start(ctx); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	if err := c.Resize(ctx, 42, 137); err != nil {
		t.Fatalf("Resize() = %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Attach() = %v", err)
	}
	if want := "/dev/pts/0\r\n42 137\r\n"; out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
	if e, err := c.Wait(ctx); err != nil || e.Code != 0 {
		t.Errorf("Wait() = %+v, %v", e, err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestStdin(t *testing.T) {
	b := setup(t, []string{"cat"}, false)
	b.cfg.OpenStdin, b.cfg.StdinOnce = true, true
	stdout, _, e := run(t, b, strings.NewReader("hello stdin\n"))
	if stdout != "hello stdin\n" || e.Code != 0 {
		t.Errorf("cat = %q, %+v; want echo and code 0", stdout, e)
	}
}

func TestDetach(t *testing.T) {
	b := setup(t, []string{"cat"}, false)
	b.cfg.OpenStdin = true
	ctx := context.Background()
	c := spawn(t, b)
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	out := newBuf()
	done := make(chan error, 1)
	go func() { done <- c.Attach(ctx, AttachStreams{Stdin: pr, Stdout: out}) }()
	pw.Write([]byte("one\n"))
	pw.Write([]byte{16, 'x', '\n'}) // ctrl-p then not ctrl-q: sent as is
	waitFor(t, out, "one\n\x10x\n")
	pw.Write([]byte{16, 17})
	select {
	case err := <-done:
		if err != ErrDetached {
			t.Fatalf("Attach() = %v, want ErrDetached", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no detach")
	}
	// still running: a second attacher can talk to it.
	pr2, pw2 := io.Pipe()
	out2 := newBuf()
	go func() { done <- c.Attach(ctx, AttachStreams{Stdin: pr2, Stdout: out2}) }()
	pw2.Write([]byte("two\n"))
	waitFor(t, out2, "two\n")
	if got := out.String(); got != "one\n\x10x\n" {
		t.Errorf("first attach output = %q", got)
	}
	if got := out2.String(); got != "two\n" {
		t.Errorf("second attach output = %q", got)
	}
	c.Kill(ctx, syscall.SIGKILL)
	if err := <-done; err != nil {
		t.Errorf("Attach() after kill = %v", err)
	}
	c.Wait(ctx)
	c.Shutdown(ctx)
}

func TestCommandNotFound(t *testing.T) {
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
			_, err := Spawn(context.Background(), shimBinary(t), b.cfg)
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

func TestReconnect(t *testing.T) {
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

func TestIdleExit(t *testing.T) {
	b := setup(t, []string{"sh", "-c", "exit 7"}, false)
	b.cfg.IdleExit = 100 * time.Millisecond
	ctx := context.Background()
	c := spawn(t, b)
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pidb, _ := os.ReadFile(filepath.Join(b.cfg.StateDir, pidName))
	shimPid, _ := strconv.Atoi(string(pidb))
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(shimPid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if syscall.Kill(shimPid, 0) == nil {
		t.Fatal("shim still running after idle exit")
	}
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

func TestLatency(t *testing.T) {
	b := setup(t, []string{"true"}, false, oci.WithNetworkNone())
	ctx := context.Background()
	var total time.Duration
	const n = 5
	for i := range n {
		start := time.Now()
		c := spawn(t, b)
		spawned := time.Since(start)
		if _, err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		if err := c.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: spawn %v, spawn+start+wait %v, +shutdown %v", i, spawned, d, time.Since(start))
		total += d
	}
	t.Logf("mean spawn+start+wait of true: %v", total/n)
}

func TestShimRSS(t *testing.T) {
	b := setup(t, []string{"sleep", "100"}, false)
	ctx := context.Background()
	c := spawn(t, b)
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Some traffic first, like a daemon would cause.
	for range 3 {
		c2, err := Connect(ctx, b.cfg.StateDir)
		if err != nil {
			t.Fatal(err)
		}
		c2.Close()
	}
	time.Sleep(200 * time.Millisecond)
	pidb, _ := os.ReadFile(filepath.Join(b.cfg.StateDir, pidName))
	status, _ := os.ReadFile("/proc/" + string(pidb) + "/status")
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS") || strings.HasPrefix(l, "RssAnon") || strings.HasPrefix(l, "RssFile") || strings.HasPrefix(l, "Threads") {
			t.Log(l)
		}
	}
	if os.Getenv("TUG_TEST_SMAPS") != "" {
		smaps, _ := os.ReadFile("/proc/" + string(pidb) + "/smaps_rollup")
		t.Logf("%s", smaps)
		out, _ := runCmd("sh", "-c", "awk '/^[0-9a-f]+-/{name=$1\" \"$2\" \"$6} /^Rss:/{print $2, name}' /proc/"+string(pidb)+"/smaps | sort -rn | head")
		t.Logf("%s", out)
	}
	c.Kill(ctx, syscall.SIGKILL)
	c.Wait(ctx)
	c.Shutdown(ctx)
}

func waitFor(t *testing.T, b *syncBuf, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(b.String(), want) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDefaults(t *testing.T) {
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
