package container

import (
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// kill -s delivers the named signal to the container's process and
// refuses a signal that does not exist.
func TestKillSendsNamedSignal(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	d.Tug("run", "-d", "--name", "trap", "busybox", "sh", "-c", "trap 'echo got-usr1' USR1; echo ready; while true; do sleep 0.1; done")
	testutil.Eventually(t, 20*time.Second, func() bool { return strings.Contains(d.Tug("logs", "trap").Stdout, "ready") })
	if r := d.Tug("kill", "-s", "USR1", "trap"); r.ExitCode != 0 {
		t.Fatalf("kill -s USR1: %s", r)
	}
	testutil.Eventually(t, 20*time.Second, func() bool { return strings.Contains(d.Tug("logs", "trap").Stdout, "got-usr1") })
	if r := d.Tug("kill", "-s", "NOSUCHSIG", "trap"); r.ExitCode == 0 {
		t.Errorf("kill with a bad signal succeeded: %s", r)
	}
	if r := d.Tug("inspect", "--format", "{{.State.Running}}", "trap"); strings.TrimSpace(r.Stdout) != "true" {
		t.Errorf("running after kill -s USR1 and a bad signal = %q, want true", r.Stdout)
	}
}
