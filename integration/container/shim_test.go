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
