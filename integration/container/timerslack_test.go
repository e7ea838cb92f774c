package container

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// TestContainerProcessesKeepTheHostTimerSlack: a container's shim runs
// with a raised timer slack (libct.RaiseTimerSlack: its Go runtime wakes
// less often), but the container's processes, its command and what exec
// runs in it, get the slack tugd has, as Docker's get containerd's.
func TestContainerProcessesKeepTheHostTimerSlack(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	own, err := os.ReadFile("/proc/self/timerslack_ns") // tugd's: it is this process's child
	if err != nil {
		t.Skip("no timer slack in /proc:", err)
	}
	want := strings.TrimSpace(string(own))

	if r := d.Tug("run", "--rm", "busybox", "cat", "/proc/self/timerslack_ns"); strings.TrimSpace(r.Stdout) != want {
		t.Errorf("run: the container's process has timer slack %q, want tugd's %s (%s)", r.Stdout, want, r)
	}
	id := strings.TrimSpace(d.Tug("run", "-d", "busybox", "sleep", "1000").Stdout)
	if r := d.Tug("exec", id, "cat", "/proc/self/timerslack_ns"); strings.TrimSpace(r.Stdout) != want {
		t.Errorf("exec: the process has timer slack %q, want tugd's %s (%s)", r.Stdout, want, r)
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(shimPid(t, d, id)) + "/timerslack_ns")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got == want {
		t.Errorf("the container's shim has tugd's timer slack %s, want it raised", got)
	}
}
