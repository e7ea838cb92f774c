package container

import (
	"os"
	"path/filepath"
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
	short := strings.TrimSpace(d.Tug("run", "-d", "--name", "short", "busybox", "sh", "-c", "sleep 3; exit 7").Stdout)
	if d.Tug("create", "--name", "idle", "busybox", "true").ExitCode != 0 {
		t.Fatal("create idle")
	}
	testutil.Eventually(t, 20*time.Second, func() bool { return strings.Contains(d.Tug("logs", ticker).Stdout, "tick 5\n") })
	shortPid := strings.TrimSpace(d.Tug("inspect", "--format", "{{.State.Pid}}", short).Stdout)
	if shortPid == "0" || shortPid == "" {
		t.Fatalf("short ended before tugd was killed (pid %q)", shortPid)
	}
	d.Kill()
	// "short" exits while tugd is down (gone, or a zombie its shim has
	// yet to reap).
	testutil.Eventually(t, 20*time.Second, func() bool {
		b, err := os.ReadFile("/proc/" + shortPid + "/stat")
		return os.IsNotExist(err) || strings.Contains(string(b), ") Z ")
	})
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

// TestAttachAndFollowAfterDaemonKill: logs -f and attach work on a container
// that survived a tugd SIGKILL.
func TestAttachAndFollowAfterDaemonKill(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	d.Tug("run", "-d", "-i", "--name", "echoer", "busybox", "sh", "-c", "echo before; read line; echo got $line; sleep 1; echo bye")
	testutil.Eventually(t, 20*time.Second, func() bool { return strings.Contains(d.Tug("logs", "echoer").Stdout, "before") })
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

// TestSnapshotOfLostRemoveContainerIsRemoved: a --rm container is made
// without fsyncs, so a machine crash may lose its directory and keep its
// snapshot (simulated: tugd killed, the directory removed); the next tugd
// removes that snapshot and keeps the other containers'.
func TestSnapshotOfLostRemoveContainerIsRemoved(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	lost := strings.TrimSpace(d.Tug("create", "--rm", "--name", "lost", "busybox", "true").Stdout)
	kept := strings.TrimSpace(d.Tug("create", "--rm", "--name", "kept", "busybox", "echo", "kept").Stdout)
	plain := strings.TrimSpace(d.Tug("create", "--name", "plain", "busybox", "echo", "plain").Stdout)
	snapshot := func(id string) string { return filepath.Join(d.Root, "overlay", "containers", id) }
	for _, id := range []string{lost, kept, plain} {
		if _, err := os.Stat(snapshot(id)); err != nil {
			t.Fatalf("snapshot of %q after create: %v", id, err)
		}
	}
	d.Kill()
	if err := os.RemoveAll(filepath.Join(d.Root, "containers", lost)); err != nil {
		t.Fatal(err)
	}
	d.Start()
	if _, err := os.Stat(snapshot(lost)); !os.IsNotExist(err) {
		t.Errorf("snapshot of the lost --rm container: %v, want it removed", err)
	}
	for name, want := range map[string]string{"kept": "kept\n", "plain": "plain\n"} {
		if r := d.Tug("start", "-a", name); r.ExitCode != 0 || r.Stdout != want {
			t.Errorf("start -a %s after the restart: %s", name, r)
		}
	}
}
