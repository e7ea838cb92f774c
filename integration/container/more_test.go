package container

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/tug-project/tug/internal/testutil"
)

func TestHostNetworkAndInfo(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	host, _ := os.Hostname()
	r := d.Tug("run", "--rm", "--network", "host", "busybox", "hostname")
	if strings.TrimSpace(r.Stdout) != host {
		t.Errorf("hostname with --network host = %q, want %q", r.Stdout, host)
	}
	// The host's interfaces (other tests may add and remove veths meanwhile,
	// so look for the stable ones: loopback and the default route's).
	r = d.Tug("run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net")
	links := strings.Fields(r.Stdout)
	for _, want := range []string{"lo", defaultRouteLink(t)} {
		if want != "" && !slices.Contains(links, want) {
			t.Errorf("--network host sees %v, want %s among them", links, want)
		}
	}
	r = d.Tug("info", "--format", "{{.Images}} {{.Driver}} {{.LoggingDriver}}")
	if strings.TrimSpace(r.Stdout) != "2 overlay2 json-file" {
		t.Errorf("info = %s", r)
	}
}

func TestSignalsRestartSince(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	d.Tug("run", "-d", "--name", "trap", "busybox", "sh", "-c", "trap 'echo got-usr1' USR1; echo ready; while true; do sleep 0.1; done")
	eventually(t, "ready", func() bool { return strings.Contains(d.Tug("logs", "trap").Stdout, "ready") })
	if r := d.Tug("kill", "-s", "USR1", "trap"); r.ExitCode != 0 {
		t.Fatalf("kill -s USR1: %s", r)
	}
	eventually(t, "USR1 trapped", func() bool { return strings.Contains(d.Tug("logs", "trap").Stdout, "got-usr1") })
	started := strings.TrimSpace(d.Tug("inspect", "--format", "{{.State.StartedAt}}", "trap").Stdout)
	mark := time.Now()
	time.Sleep(1100 * time.Millisecond)
	if r := d.Tug("restart", "-t", "0", "trap"); r.ExitCode != 0 {
		t.Fatalf("restart: %s", r)
	}
	if now := strings.TrimSpace(d.Tug("inspect", "--format", "{{.State.Running}} {{.State.StartedAt}}", "trap").Stdout); now == "true "+started || !strings.HasPrefix(now, "true ") {
		t.Errorf("after restart: %q (started before: %s)", now, started)
	}
	eventually(t, "second ready", func() bool { return strings.Count(d.Tug("logs", "trap").Stdout, "ready") == 2 })
	r := d.Tug("logs", "--since", mark.UTC().Format(time.RFC3339Nano), "trap")
	if r.Stdout != "ready\n" {
		t.Errorf("logs --since = %q, want only the line after the restart", r.Stdout)
	}
	if r := d.Tug("kill", "-s", "NOSUCHSIG", "trap"); r.ExitCode == 0 {
		t.Errorf("kill with a bad signal succeeded: %s", r)
	}
}

func TestStartAttachInteractive(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("create", "-i", "--name", "catter", "busybox", "cat"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	r := d.TugIn("through start -ai\n", "start", "-a", "-i", "catter")
	if r.ExitCode != 0 || r.Stdout != "through start -ai\n" {
		t.Errorf("start -ai: %s", r)
	}
}

func TestRmiForce(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	imageID := strings.TrimSpace(d.Tug("inspect", "--format", "{{.Id}}", "busybox").Stdout)
	id := strings.TrimSpace(d.Tug("run", "-d", "busybox", "sleep", "1000").Stdout)
	// Like Docker, -f untags an image a running container uses and keeps it.
	if r := d.Tug("rmi", "-f", "busybox"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Untagged: busybox:latest") {
		t.Fatalf("rmi -f: %s", r)
	}
	if r := d.Tug("images", "-q", "--filter", "reference=busybox"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("busybox still listed: %q", r.Stdout)
	}
	if r := d.Tug("restart", "-t", "0", id); r.ExitCode != 0 {
		t.Errorf("restart after rmi -f: %s", r)
	}
	if r := d.Tug("rm", "-f", id); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("rmi", imageID); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Deleted: "+imageID) {
		t.Fatalf("rmi of the dangling image: %s", r)
	}
	snaps, _ := filepath.Glob(filepath.Join(d.Root, "overlay", "snapshots", "*"))
	if len(snaps) != 1 { // the built-in hello-world image's layer stays
		t.Errorf("layers after removing the image: %v, want only hello-world's", snaps)
	}
}

// TestResize: the TTY follows the client's window size.
func TestResize(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	cmd := exec.Command(filepath.Join(d.Bin, "tug"), "-H", d.Host, "run", "--rm", "-it", "busybox", "sh")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 20, Cols: 70})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var out safeBuffer
	go func() { _, _ = io.Copy(&out, ptmx) }()
	time.Sleep(500 * time.Millisecond)
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 41, Cols: 132}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	_, _ = ptmx.Write([]byte("stty size\rexit\r"))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("hung; terminal %q", out.String())
	}
	if !strings.Contains(out.String(), "41 132") {
		t.Errorf("stty size after resize: terminal %q, want 41 132", out.String())
	}
}

// TestAttachAndFollowAfterRestart: logs -f and attach work on a container
// that survived a tugd SIGKILL.
func TestAttachAndFollowAfterRestart(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	d.Tug("run", "-d", "-i", "--name", "echoer", "busybox", "sh", "-c", "echo before; read line; echo got $line; sleep 1; echo bye")
	eventually(t, "before", func() bool { return strings.Contains(d.Tug("logs", "echoer").Stdout, "before") })
	d.Kill()
	d.Start()
	follow := make(chan testutil.Result, 1)
	go func() { follow <- d.Tug("logs", "-f", "echoer") }()
	r := d.TugIn("hello\n", "attach", "echoer")
	if !strings.Contains(r.Stdout, "got hello") {
		t.Errorf("attach after restart: %s", r)
	}
	select {
	case lr := <-follow:
		if lr.Stdout != "before\ngot hello\nbye\n" {
			t.Errorf("logs -f after restart = %q", lr.Stdout)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("logs -f did not end with the container")
	}
}

type safeBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *safeBuffer) lock() {
	if b.mu == nil {
		b.mu = make(chan struct{}, 1)
	}
	b.mu <- struct{}{}
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.String()
}

// defaultRouteLink names the host's default route interface, or "".
func defaultRouteLink(t *testing.T) string {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 1 && f[1] == "00000000" {
			return f[0]
		}
	}
	return ""
}
