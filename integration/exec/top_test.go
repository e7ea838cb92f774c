package exec

import (
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// top lists a running container's processes, with ps options; a stopped
// container has none to list.
func TestTop(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr")
	// The init shows as the command once it has executed it.
	testutil.Eventually(t, 5*time.Second, func() bool { return strings.Contains(d.Tug("top", "ctr").Stdout, "sleep") })
	for _, c := range d.CLIs() {
		r := c.Run("", "top", "ctr")
		lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
		if r.ExitCode != 0 || len(lines) != 2 || !strings.Contains(lines[0], "PID") || !strings.Contains(lines[1], "sleep 1000") {
			t.Errorf("%s top: %s; want a header and the sleep", c.Name, r)
		}
		r = c.Run("", "top", "ctr", "-o", "pid,comm")
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "COMMAND") || !strings.Contains(r.Stdout, "sleep") {
			t.Errorf("%s top -o pid,comm: %s", c.Name, r)
		}
	}
	if r := d.Tug("run", "--name", "stopped", "busybox", "true"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("top", "stopped"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "is not running") {
		t.Errorf("top of a stopped container: %s", r)
	}
}
