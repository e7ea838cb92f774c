package limits

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// A container that allocates past its memory limit is killed by the
// kernel's OOM killer: exit 137, State.OOMKilled, an oom event.
func TestOOMKillExits137(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	for _, c := range d.CLIs() {
		t.Run(c.Name, func(t *testing.T) {
			name := "oom-" + c.Name
			// tail buffers a line of /dev/zero that never ends.
			r := c.Run("", "run", "--name", name, "--network", "none", "-m", "16m", "busybox", "tail", "/dev/zero")
			if r.ExitCode != 137 {
				t.Fatalf("run = %s, want exit 137", r)
			}
			got := d.Tug("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", name)
			if strings.TrimSpace(got.Stdout) != "true 137" {
				t.Errorf("inspect = %q, want \"true 137\" (%s)", got.Stdout, got)
			}
			until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
			ev := d.Tug("events", "--since", since, "--until", until, "--filter", "container="+name, "--format", "{{.Action}}")
			if !strings.Contains(ev.Stdout, "oom\ndie") {
				t.Errorf("events = %q, want oom then die", ev.Stdout)
			}
		})
	}
}

// A container that stays under its limit is not reported as OOM-killed.
func TestNoOOMUnderLimit(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("run", "--name", "fits", "--network", "none", "-m", "32m", "busybox", "sh", "-c", "exit 3"); r.ExitCode != 3 {
		t.Fatalf("run = %s, want exit 3", r)
	}
	got := d.Tug("inspect", "-f", "{{.State.OOMKilled}}", "fits")
	if strings.TrimSpace(got.Stdout) != "false" {
		t.Errorf("OOMKilled = %q, want false", got.Stdout)
	}
}
