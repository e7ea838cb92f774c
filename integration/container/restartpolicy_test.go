package container

import (
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// --restart on-failure:N restarts a failing container N times; a
// --restart always container stopped by the user stays stopped; --rm and
// --restart do not go together.
func TestRestartPolicy(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	d.Tug("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 1")
	testutil.Eventually(t, 20*time.Second, func() bool {
		r := d.Tug("inspect", "--format", "{{.RestartCount}} {{.State.Status}}", "flaky")
		return strings.TrimSpace(r.Stdout) == "2 exited"
	})
	d.Tug("run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "1000")
	if r := d.Tug("stop", "-t", "0", "always"); r.ExitCode != 0 {
		t.Fatalf("stop: %s", r)
	}
	// A deliberate wait: a restart would have come within it (the
	// on-failure restarts above take a few milliseconds each).
	time.Sleep(500 * time.Millisecond)
	if r := d.Tug("inspect", "--format", "{{.State.Status}}", "always"); strings.TrimSpace(r.Stdout) != "exited" {
		t.Errorf("a stopped --restart always container came back: %s", r.Stdout)
	}
	if r := d.Tug("run", "--rm", "--restart", "always", "busybox", "true"); r.ExitCode != 125 {
		t.Errorf("--rm with --restart: %s", r)
	}
}
