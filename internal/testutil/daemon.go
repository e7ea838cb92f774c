package testutil

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// Binaries builds tugd, tug-shim, tug-monitor, tug, tug-hello, tug-init and tug-pause once per test process and
// returns the directory holding them.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		// One directory per checkout, rebuilt (incrementally, through the
		// go build cache) by each test process: no copy per test binary
		// piles up in /tmp.
		sum := sha256.Sum256([]byte(root))
		binDir = filepath.Join(os.TempDir(), "tug-bin-"+hex.EncodeToString(sum[:6]))
		if buildErr = os.MkdirAll(binDir, 0o755); buildErr != nil {
			return
		}
		// The Makefile's build, so that tests run the binaries that ship
		// (tug-shim static with libseccomp, the monitor without cgo, ...).
		cmd := exec.Command("make", "--no-print-directory", "-s", "build", "BIN="+binDir)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("make build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building binaries: %v", buildErr)
	}
	return binDir
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found")
		}
		dir = parent
	}
}

var startedRE = regexp.MustCompile(`msg="container started" id=([0-9a-f]{64})`)

// Daemon is a tugd started by a test on a temporary data root and socket.
type Daemon struct {
	t        testing.TB
	Bin      string // directory of tugd, tug, tug-hello
	Root     string
	ExecRoot string
	Socket   string
	Host     string // unix://Socket
	Client   *client.Client
	Env      []string // extra environment for the next Start
	Args     []string // extra tugd flags for the next Start

	cmd *exec.Cmd
	log *SafeBuffer
	mu  sync.Mutex
}

// StartDaemon starts tugd for the test. Cleanup removes every container,
// stops the daemon and checks that no mount or shim process is left.
func StartDaemon(t testing.TB) *Daemon {
	t.Helper()
	return StartDaemonWith(t)
}

// StartDaemonWith is StartDaemon with extra tugd flags; args may name the
// exec root's path as "{exec-root}" (it is made for the test).
func StartDaemonWith(t testing.TB, args ...string) *Daemon {
	t.Helper()
	RequiresRoot(t)
	RequiresBusybox(t)
	bin := Binaries(t)
	root := t.TempDir()
	// Unix socket paths are short: keep the exec root out of t.TempDir().
	execRoot, err := os.MkdirTemp("", "tug-run")
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{t: t, Bin: bin, Root: root, ExecRoot: execRoot, Socket: filepath.Join(execRoot, "tug.sock")}
	d.Host = "unix://" + d.Socket
	for _, a := range args {
		d.Args = append(d.Args, strings.ReplaceAll(a, "{exec-root}", execRoot))
	}
	d.Start()
	cl, err := client.New(client.WithHost(d.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	d.Client = cl
	t.Cleanup(func() {
		d.cleanup()
		_ = cl.Close()
		d.Stop()
		d.checkLeaks()
		_ = os.RemoveAll(execRoot)
	})
	return d
}

// Start starts (or restarts) tugd and waits until it answers.
func (d *Daemon) Start() {
	d.t.Helper()
	d.log = &SafeBuffer{}
	args := append([]string{"--debug", "-H", d.Host, "--data-root", d.Root, "--exec-root", d.ExecRoot}, d.Args...)
	cmd := exec.Command(filepath.Join(d.Bin, "tugd"), args...)
	cmd.Stdout = d.log
	cmd.Stderr = d.log
	// Tests never reach a registry outside this machine: anything but a
	// loopback registry goes to a proxy on a closed loopback port, so not
	// even a DNS query leaves (a short name means Docker Hub).
	cmd.Env = append(os.Environ(),
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9",
		"https_proxy=http://127.0.0.1:9", "http_proxy=http://127.0.0.1:9",
		"NO_PROXY=localhost,127.0.0.0/8,::1", "no_proxy=localhost,127.0.0.0/8,::1")
	cmd.Env = append(cmd.Env, d.Env...)
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.cmd = cmd
	answers := func() bool {
		c, err := (&netDialer{}).dial(d.Socket)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	if !WaitFor(10*time.Second, answers) {
		d.t.Fatalf("tugd did not start:\n%s", d.log.String())
	}
}

// Kill stops tugd with SIGKILL, leaving shims and containers running.
func (d *Daemon) Kill() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
	d.cmd = nil
}

// Stop stops tugd with SIGTERM.
func (d *Daemon) Stop() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
	d.cmd = nil
}

// Log returns what tugd logged so far.
func (d *Daemon) Log() string { return d.log.String() }

// CommandTimeout bounds every CLI run of a test.
var CommandTimeout = 20 * time.Second

// Result is the outcome of a CLI run.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
}

// TugCmd is the tug CLI against this daemon, for a caller that runs it
// itself (on a terminal, in the background).
func (d *Daemon) TugCmd(args ...string) *exec.Cmd {
	return exec.Command(filepath.Join(d.Bin, "tug"), append([]string{"-H", d.Host}, args...)...)
}

// Tug runs the tug CLI against this daemon.
func (d *Daemon) Tug(args ...string) Result {
	d.t.Helper()
	return d.run(d.TugCmd(args...), nil)
}

// TugIn runs the tug CLI with stdin.
func (d *Daemon) TugIn(stdin string, args ...string) Result {
	d.t.Helper()
	return d.run(d.TugCmd(args...), strings.NewReader(stdin))
}

// DockerCmd is the stock docker CLI against this daemon; the test is
// skipped when no docker CLI is installed.
func (d *Daemon) DockerCmd(args ...string) *exec.Cmd {
	d.t.Helper()
	path, err := exec.LookPath("docker")
	if err != nil {
		d.t.Skip("docker CLI not installed")
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER_CONFIG="+d.t.TempDir(), "DOCKER_BUILDKIT=0")
	return cmd
}

// Docker runs the stock docker CLI against this daemon; the test is skipped
// when no docker CLI is installed.
func (d *Daemon) Docker(args ...string) Result {
	d.t.Helper()
	return d.run(d.DockerCmd(args...), nil)
}

// DockerIn runs the stock docker CLI with stdin.
func (d *Daemon) DockerIn(stdin string, args ...string) Result {
	d.t.Helper()
	return d.run(d.DockerCmd(args...), strings.NewReader(stdin))
}

// CLI is one of the two CLIs a scenario runs through against a daemon.
type CLI struct {
	Name string                                    // "tug" or "docker"
	Run  func(stdin string, args ...string) Result // stdin "" for none
	Cmd  func(args ...string) *exec.Cmd            // to run it yourself
}

// CLIs are tug and the stock docker CLI against this daemon, for
// scenarios both must pass; the docker one skips the test when no docker
// CLI is installed.
func (d *Daemon) CLIs() []CLI {
	run := func(bare func(...string) Result, in func(string, ...string) Result) func(string, ...string) Result {
		return func(stdin string, args ...string) Result {
			d.t.Helper()
			if stdin == "" {
				return bare(args...)
			}
			return in(stdin, args...)
		}
	}
	return []CLI{
		{Name: "tug", Run: run(d.Tug, d.TugIn), Cmd: d.TugCmd},
		{Name: "docker", Run: run(d.Docker, d.DockerIn), Cmd: d.DockerCmd},
	}
}

func (d *Daemon) run(cmd *exec.Cmd, stdin *strings.Reader) Result {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("running %v: %v", cmd.Args, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(CommandTimeout):
		_ = cmd.Process.Kill()
		<-done
		d.t.Fatalf("%v hung for %v\nstdout: %s\nstderr: %s\ntugd log:\n%s", cmd.Args, CommandTimeout, stdout.String(), stderr.String(), d.Log())
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	case err != nil:
		d.t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return res
}

// ImportBusybox imports the busybox test image as name.
func (d *Daemon) ImportBusybox(name string) {
	d.t.Helper()
	f := filepath.Join(d.t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(f, BusyboxTar(d.t), 0o644); err != nil {
		d.t.Fatal(err)
	}
	if r := d.Tug("import", f, name); r.ExitCode != 0 {
		d.t.Fatalf("tug import: %s", r)
	}
}

// cleanup force-removes every container the test left.
func (d *Daemon) cleanup() {
	if d.cmd == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := d.Client.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		d.t.Errorf("cleanup: listing containers: %v", err)
		return
	}
	for _, c := range list.Items {
		if _, err := d.Client.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			d.t.Errorf("cleanup: removing %s: %v", c.ID, err)
		}
	}
}

// checkLeaks fails the test if a mount under the data or exec root, or a
// shim of this daemon, is still there.
func (d *Daemon) checkLeaks() {
	if d.t.Failed() {
		d.t.Logf("tugd log:\n%s", d.log.String())
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 4 && (strings.HasPrefix(fields[4], d.Root) || strings.HasPrefix(fields[4], d.ExecRoot)) {
				d.t.Errorf("leaked mount: %s", fields[4])
			}
		}
		f.Close()
	}
	// Cgroups of the containers this daemon started (their IDs are in its
	// debug log) are gone.
	for _, m := range startedRE.FindAllStringSubmatch(d.log.String(), -1) {
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*/tug/" + m[1])
		for _, dir := range dirs {
			d.t.Errorf("leaked cgroup: %s", dir)
		}
	}
	// A warm shim of a killed tugd exits at once, but may need a moment.
	var leaked []string
	WaitFor(2*time.Second, func() bool {
		leaked = d.shimProcs()
		return len(leaked) == 0
	})
	for _, l := range leaked {
		d.t.Errorf("leaked shim process %s", l)
	}
}

// shimProcs lists the processes of shims of this daemon (their command
// lines name its exec root), warm ones included.
func (d *Daemon) shimProcs() []string {
	var found []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(d.ExecRoot)) && bytes.Contains(b, []byte("shim")) {
			found = append(found, fmt.Sprintf("%s: %q", filepath.Dir(p), bytes.TrimRight(bytes.ReplaceAll(b, []byte{0}, []byte{' '}), " ")))
		}
	}
	return found
}
