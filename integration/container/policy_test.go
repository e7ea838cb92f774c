package container

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// eventually polls fn until it returns true or the deadline passes.
func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if fn() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestRestartPolicy(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	d.Tug("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 1")
	eventually(t, "two restarts then exited", func() bool {
		r := d.Tug("inspect", "--format", "{{.RestartCount}} {{.State.Status}}", "flaky")
		return strings.TrimSpace(r.Stdout) == "2 exited"
	})
	d.Tug("run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "1000")
	if r := d.Tug("stop", "-t", "0", "always"); r.ExitCode != 0 {
		t.Fatalf("stop: %s", r)
	}
	time.Sleep(500 * time.Millisecond)
	if r := d.Tug("inspect", "--format", "{{.State.Status}}", "always"); strings.TrimSpace(r.Stdout) != "exited" {
		t.Errorf("a stopped --restart always container came back: %s", r.Stdout)
	}
	if r := d.Tug("run", "--rm", "--restart", "always", "busybox", "true"); r.ExitCode != 125 {
		t.Errorf("--rm with --restart: %s", r)
	}
}

func TestEvents(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	d.Tug("run", "--rm", "--name", "evt", "busybox", "true")
	until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	r := d.Tug("events", "--since", since, "--until", until, "--filter", "container=evt", "--format", "{{.Action}}")
	got := strings.Fields(r.Stdout)
	want := []string{"create", "attach", "start", "die", "destroy"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("events = %v, want %v (%s)", got, want, r)
	}
}

// TestShimKilled kills a container's shim: the daemon records the end of
// the container and leaves nothing behind.
func TestShimKilled(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	id := strings.TrimSpace(d.Tug("run", "-d", "busybox", "sleep", "1000").Stdout)
	pid := shimPid(t, d, id)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "container not running after its shim died", func() bool {
		r := d.Tug("inspect", "--format", "{{.State.Running}}", id)
		return strings.TrimSpace(r.Stdout) == "false"
	})
	if r := d.Tug("rm", id); r.ExitCode != 0 {
		t.Errorf("rm after shim death: %s", r)
	}
	if r := d.Tug("run", "--rm", "busybox", "echo", "still fine"); r.Stdout != "still fine\n" {
		t.Errorf("run after shim death: %s", r)
	}
}

func shimPid(t *testing.T, d *testutil.Daemon, id string) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) > 1 && args[1] == "shim" && bytes.Contains(b, []byte(id)) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return pid
		}
	}
	t.Fatalf("no shim found for %s", id)
	return 0
}

// TestMalformedBodies sends bad JSON straight to the socket.
func TestMalformedBodies(t *testing.T) {
	d := testutil.StartDaemon(t)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(_ context.Context, _, _ string) (net.Conn, error) {
		return net.Dial("unix", d.Socket)
	}}}
	for _, body := range []string{"{not json", `{"Image": 5}`, ""} {
		resp, err := hc.Post("http://tug/v1.51/containers/create", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var msg struct{ Message string }
		_ = json.NewDecoder(resp.Body).Decode(&msg)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || msg.Message == "" {
			t.Errorf("create with body %q = %d %q, want 400 with a message", body, resp.StatusCode, msg.Message)
		}
	}
	if r := d.Tug("ps", "-aq"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("bad bodies created containers: %q", r.Stdout)
	}
}
