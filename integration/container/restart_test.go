package container

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// TestDaemonKillKeepsContainers kills tugd with SIGKILL while containers
// run; the next tugd finds them running, and logs, stop and wait work.
func TestDaemonKillKeepsContainers(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	ticker := strings.TrimSpace(d.Tug("run", "-d", "--name", "ticker", "busybox", "sh", "-c",
		"i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done").Stdout)
	short := strings.TrimSpace(d.Tug("run", "-d", "--name", "short", "busybox", "sh", "-c", "sleep 1; exit 7").Stdout)
	if d.Tug("create", "--name", "idle", "busybox", "true").ExitCode != 0 {
		t.Fatal("create idle")
	}
	time.Sleep(300 * time.Millisecond)
	d.Kill()
	time.Sleep(1500 * time.Millisecond) // "short" exits while tugd is down
	d.Start()

	r := d.Tug("ps", "-a", "--format", "{{.Names}} {{.State}}")
	for _, want := range []string{"ticker running", "short exited", "idle created"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("ps after restart lacks %q:\n%s", want, r.Stdout)
		}
	}
	if r := d.Tug("inspect", "--format", "{{.State.ExitCode}}", short); strings.TrimSpace(r.Stdout) != "7" {
		t.Errorf("exit code recorded while tugd was down = %q, want 7", r.Stdout)
	}
	// No tick was lost: the log counts up without a gap.
	logs := d.Tug("logs", ticker).Stdout
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	for i, l := range lines {
		if want := "tick " + strconv.Itoa(i+1); l != want {
			t.Fatalf("log line %d = %q, want %q", i, l, want)
		}
	}
	if len(lines) < 5 {
		t.Errorf("only %d ticks logged across the restart", len(lines))
	}
	if r := d.Tug("stop", "-t", "1", "ticker"); r.ExitCode != 0 {
		t.Errorf("stop after restart: %s", r)
	}
	if r := d.Tug("wait", "ticker"); r.ExitCode != 0 || (strings.TrimSpace(r.Stdout) != "137" && strings.TrimSpace(r.Stdout) != "143") {
		t.Errorf("wait after restart: %s", r)
	}
}

// TestDaemonDiesMidStart: tugd dies after spawning a container's shim and
// before starting its process; the next tugd undoes the half-done start
// (no shim, mount or cgroup left, which the harness checks) and the
// container starts normally afterwards.
func TestDaemonDiesMidStart(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("create", "--name", "half", "busybox", "echo", "second try"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	d.Kill()
	d.Env = []string{"TUGD_FAULT=after-spawn"}
	d.Start()
	if r := d.Tug("start", "half"); r.ExitCode == 0 {
		t.Fatalf("start with the fault injected succeeded: %s", r)
	}
	d.Kill() // reap the daemon that exited on purpose
	d.Env = nil
	d.Start()
	r := d.Tug("inspect", "--format", "{{.State.Status}} {{.State.Running}} {{.State.Error}}", "half")
	if got := strings.TrimSpace(r.Stdout); got != "created false tugd stopped while the container was starting" {
		t.Errorf("after the interrupted start: %q", got)
	}
	if r := d.Tug("start", "-a", "half"); r.ExitCode != 0 || r.Stdout != "second try\n" {
		t.Errorf("start after the interrupted start: %s", r)
	}
}
