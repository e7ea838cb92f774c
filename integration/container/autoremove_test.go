package container

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// entries lists a directory of the daemon's data root.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestRunRmIsGoneWhenTheRunReturns: once `run --rm` returns, the container
// is not listed and its name is free; its rootfs, snapshot, files and shim
// are gone soon after (they are removed after the answer).
func TestRunRmIsGoneWhenTheRunReturns(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	for i := 0; i < 3; i++ {
		if r := d.Tug("run", "--rm", "--name", "again", "busybox", "sh", "-c", "exit 3"); r.ExitCode != 3 {
			t.Fatalf("run --rm #%d: %s", i+1, r)
		}
		if out := d.Tug("ps", "-a", "-q").Stdout; out != "" {
			t.Fatalf("ps -a right after run --rm #%d = %q, want nothing", i+1, out)
		}
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		return len(entries(t, filepath.Join(d.Root, "containers"))) == 0 &&
			len(entries(t, filepath.Join(d.Root, "overlay", "containers"))) == 0 &&
			len(entries(t, filepath.Join(d.ExecRoot, "c"))) == 0
	})
}

// TestRunRmRemovalIsFinishedAfterTugdDies: tugd dies right after a --rm
// container is announced removed, before its rootfs, snapshot, shim and
// files are; the next tugd removes them and does not list the container.
func TestRunRmRemovalIsFinishedAfterTugdDies(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	d.Kill()
	d.Env = []string{"TUGD_FAULT=before-background-removal"}
	d.Start()
	_ = d.Tug("run", "--rm", "--name", "interrupted", "busybox", "true") // tugd dies answering it
	d.Kill()                                                             // reap the daemon that exited on purpose
	if len(entries(t, filepath.Join(d.Root, "containers"))) != 1 {
		t.Fatalf("the fault left containers %v, want the one being removed", entries(t, filepath.Join(d.Root, "containers")))
	}
	d.Env = nil
	d.Start()
	if out := d.Tug("ps", "-a", "--format", "{{.Names}}").Stdout; strings.TrimSpace(out) != "" {
		t.Errorf("ps -a after the restart = %q, want nothing", out)
	}
	for _, dir := range []string{filepath.Join(d.Root, "containers"), filepath.Join(d.Root, "overlay", "containers"), filepath.Join(d.ExecRoot, "c")} {
		if left := entries(t, dir); len(left) != 0 {
			t.Errorf("%s after the restart: %v, want empty", dir, left)
		}
	}
	if r := d.Tug("run", "--rm", "--name", "interrupted", "busybox", "true"); r.ExitCode != 0 {
		t.Errorf("run --rm with the name again: %s", r)
	}
	// The shim and the rootfs mount of the interrupted run are checked by
	// the daemon's leak check at cleanup.
}

// TestRunRmContainerThatEndedWhileTugdWasDownIsRemoved: a --rm container
// whose exit the last tugd never saw — it was killed, and the container's
// shim and process ended meanwhile, so its record still says running, as
// it does when a machine crash loses the unsynced "removing" state — is
// removed by the next tugd, files and cgroups and all.
func TestRunRmContainerThatEndedWhileTugdWasDownIsRemoved(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	r := d.Tug("run", "-d", "--rm", "--name", "orphan", "busybox", "sleep", "1000")
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	id := strings.TrimSpace(r.Stdout)
	pid, err := strconv.Atoi(strings.TrimSpace(d.Tug("inspect", "--format", "{{.State.Pid}}", id).Stdout))
	if err != nil || pid <= 0 {
		t.Fatalf("the container's pid: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(d.ExecRoot, "c", id, "shim.pid"))
	if err != nil {
		t.Fatal(err)
	}
	shim, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	d.Kill()
	_ = syscall.Kill(shim, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if !testutil.WaitFor(10*time.Second, func() bool { return syscall.Kill(pid, 0) != nil && syscall.Kill(shim, 0) != nil }) {
		t.Fatal("the container's process or shim outlived SIGKILL")
	}
	d.Start()
	if !testutil.WaitFor(10*time.Second, func() bool {
		return strings.TrimSpace(d.Tug("ps", "-a", "--format", "{{.Names}}").Stdout) == ""
	}) {
		t.Fatalf("ps -a after the restart = %q, want nothing", d.Tug("ps", "-a", "--format", "{{.Names}}").Stdout)
	}
	for _, dir := range []string{filepath.Join(d.Root, "containers"), filepath.Join(d.Root, "overlay", "containers"), filepath.Join(d.ExecRoot, "c")} {
		if !testutil.WaitFor(10*time.Second, func() bool { return len(entries(t, dir)) == 0 }) {
			t.Errorf("%s after the restart: %v, want empty", dir, entries(t, dir))
		}
	}
	// Its shim, which would have removed them, was killed.
	cgroups := func() []string {
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*/tug/" + id)
		v2, _ := filepath.Glob("/sys/fs/cgroup/tug/" + id)
		return append(dirs, v2...)
	}
	if !testutil.WaitFor(10*time.Second, func() bool { return len(cgroups()) == 0 }) {
		t.Errorf("the container's cgroups are left after the restart: %v", cgroups())
	}
}
