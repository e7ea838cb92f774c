package limits

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// A fork loop stops at the pids limit and the container lives on.
func TestPidsLimitStopsForkLoop(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Docker("run", "-d", "--name", "forks", "--network", "none", "--pids-limit", "20", "busybox", "sleep", "1000"); r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	id := fullID(t, d, "forks")
	if got := cgroupFile(t, "pids", id, "pids.max"); got != "20" {
		t.Fatalf("pids.max = %q, want 20", got)
	}
	r := d.Tug("exec", "forks", "sh", "-c", "for i in $(seq 60); do sleep 100 & done; wait")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "can't fork") {
		t.Errorf("fork loop = %s, want it stopped by the limit (can't fork)", r)
	}
	cur, _ := strconv.Atoi(cgroupFile(t, "pids", id, "pids.current"))
	if cur > 20 || cur < 2 {
		t.Errorf("pids.current = %d, want 2..20", cur)
	}
	if got := d.Tug("inspect", "-f", "{{.State.Running}} {{.HostConfig.PidsLimit}}", "forks"); strings.TrimSpace(got.Stdout) != "true 20" {
		t.Errorf("inspect = %q, want \"true 20\"", got.Stdout)
	}
}
