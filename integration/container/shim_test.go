package container

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// TestShimKilledEndsContainer kills a container's shim: the daemon records the end of
// the container and leaves nothing behind.
func TestShimKilledEndsContainer(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	id := strings.TrimSpace(d.Tug("run", "-d", "busybox", "sleep", "1000").Stdout)
	pid := shimPid(t, d, id)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, func() bool {
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

// shimPid finds the container's shim: `tug-shim shim` while it creates
// the container, `tug-monitor monitor` once it runs.
func shimPid(t *testing.T, d *testutil.Daemon, id string) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) > 1 && (args[1] == "shim" || args[1] == "monitor") && bytes.Contains(b, []byte(id)) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return pid
		}
	}
	t.Fatalf("no shim found for %s", id)
	return 0
}

// TestWarmShimEndsWithItsDaemon: the warm shim tugd keeps for the next
// start (`tug-shim shim --warm EXEC-ROOT`) ends with tugd, whether it is
// killed or stopped, and a restarted tugd makes its own.
func TestWarmShimEndsWithItsDaemon(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	warm := func() int {
		t.Helper()
		if r := d.Tug("run", "--rm", "busybox", "true"); r.ExitCode != 0 {
			t.Fatalf("run: %s", r)
		}
		var pid int
		testutil.Eventually(t, 10*time.Second, func() bool { pid = warmShimPid(d); return pid > 0 })
		if pid == 0 {
			t.Fatal("no warm shim after a start")
		}
		return pid
	}
	pid := warm()
	d.Kill()
	testutil.Eventually(t, 5*time.Second, func() bool { return !alive(pid) })
	if alive(pid) {
		t.Fatalf("warm shim %d outlived its killed tugd", pid)
	}

	d.Start()
	pid2 := warm()
	if pid2 == pid {
		t.Fatalf("restarted tugd has the old warm shim %d", pid)
	}
	d.Stop() // closes the pool: the warm shim is gone once tugd has exited
	if alive(pid2) {
		t.Errorf("warm shim %d outlived its stopped tugd", pid2)
	}
}

// warmShimPid finds d's warm shim, 0 if there is none.
func warmShimPid(d *testutil.Daemon) int {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) == 4 && args[1] == "shim" && args[2] == "--warm" && args[3] == d.ExecRoot {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return pid
		}
	}
	return 0
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && !bytes.HasPrefix(b[i+1:], []byte(" Z"))
}
