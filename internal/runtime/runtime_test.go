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
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/runtime/libct"
	"github.com/tug-project/tug/internal/runtime/monitor"
	"github.com/tug-project/tug/internal/testutil"
)

// This file holds what the package's tests share: TestMain and the
// helpers that set up, run and check containers. The tests themselves are
// in shim_test.go (the container's init), attach_test.go, exec_test.go
// and procio_test.go.

// TestMain makes the test binary its own shim, container init, helper
// and monitor, like tug-shim and tug-monitor.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "init":
			libct.Init()
		case "shim":
			os.Exit(ShimMain(os.Args[2:]))
		case "helper":
			os.Exit(HelperMain(os.Args[2:]))
		case "monitor":
			os.Exit(monitor.Main(os.Args[2:]))
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

// shimBinaries are this test binary (see TestMain), or $TUG_SHIM_BINARY
// (a built tug-shim) and the tug-monitor next to it, to test the real
// thing.
func shimBinaries(t *testing.T) Binaries {
	if b := os.Getenv("TUG_SHIM_BINARY"); b != "" {
		return Binaries{Shim: b, Monitor: filepath.Join(filepath.Dir(b), "tug-monitor")}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Binaries{Shim: exe, Monitor: exe}
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
		_ = RemoveState(cfg.StateDir)
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
	return spawnIn(t, nil, b)
}

// spawnIn spawns b's shim with pool's Spawn, or cold with a nil pool.
func spawnIn(t *testing.T, pool *Pool, b box) *Client {
	t.Helper()
	spawn := func() (*Client, error) { return Spawn(context.Background(), shimBinaries(t), b.cfg) }
	if pool != nil {
		spawn = func() (*Client, error) { return pool.Spawn(context.Background(), b.cfg) }
	}
	c, err := spawn()
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
	return runIn(t, nil, b, stdin)
}

// runIn is run with pool's Spawn (cold with a nil pool).
func runIn(t *testing.T, pool *Pool, b box, stdin io.Reader) (string, string, Exit) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := spawnIn(t, pool, b)
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

// waitFor waits until b contains want, and fails the test if it does not
// within 5 seconds.
func waitFor(t *testing.T, b *syncBuf, want string) {
	t.Helper()
	testutil.Eventually(t, 5*time.Second, func() bool { return strings.Contains(b.String(), want) })
	if !strings.Contains(b.String(), want) {
		t.Fatalf("output = %q, want it to contain %q within 5s", b.String(), want)
	}
}
