package container

import (
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// restart starts the container's process afresh (a new StartedAt), and
// logs --since a moment before the restart shows only what came after.
func TestRestartStartsAfreshAndLogsSince(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	d.Tug("run", "-d", "--name", "rs", "busybox", "sh", "-c", "echo ready; while true; do sleep 0.1; done")
	testutil.Eventually(t, 20*time.Second, func() bool { return strings.Contains(d.Tug("logs", "rs").Stdout, "ready") })
	started := strings.TrimSpace(d.Tug("inspect", "--format", "{{.State.StartedAt}}", "rs").Stdout)
	mark := time.Now()
	if r := d.Tug("restart", "-t", "0", "rs"); r.ExitCode != 0 {
		t.Fatalf("restart: %s", r)
	}
	if now := strings.TrimSpace(d.Tug("inspect", "--format", "{{.State.Running}} {{.State.StartedAt}}", "rs").Stdout); now == "true "+started || !strings.HasPrefix(now, "true ") {
		t.Errorf("after restart: %q (started before: %s)", now, started)
	}
	testutil.Eventually(t, 20*time.Second, func() bool { return strings.Count(d.Tug("logs", "rs").Stdout, "ready") == 2 })
	r := d.Tug("logs", "--since", mark.UTC().Format(time.RFC3339Nano), "rs")
	if r.Stdout != "ready\n" {
		t.Errorf("logs --since = %q, want only the line after the restart", r.Stdout)
	}
}
