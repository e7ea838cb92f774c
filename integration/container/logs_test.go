package container

import (
	"regexp"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// logs keeps stdout and stderr apart, and does --tail, -t and -f.
func TestLogsStreamsTailTimestampsFollow(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	// The shim reads stdout and stderr in parallel, so their relative
	// order in the log is only certain with a pause between them.
	r := d.Tug("run", "--name", "talker", "busybox", "sh", "-c", "echo one; echo two >&2; sleep 0.2; echo three")
	if r.ExitCode != 0 || r.Stdout != "one\nthree\n" || r.Stderr != "two\n" {
		t.Fatalf("run keeps streams apart: %s", r)
	}
	r = d.Tug("logs", "talker")
	if r.Stdout != "one\nthree\n" || r.Stderr != "two\n" {
		t.Errorf("logs: %s", r)
	}
	if r := d.Tug("logs", "--tail", "1", "talker"); r.Stdout != "three\n" || r.Stderr != "" {
		t.Errorf("logs --tail 1: %s", r)
	}
	r = d.Tug("logs", "-t", "talker")
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT[0-9:.]+Z one\n`).MatchString(r.Stdout) {
		t.Errorf("logs -t = %q", r.Stdout)
	}
	id := strings.TrimSpace(d.Tug("run", "-d", "busybox", "sh", "-c", "echo first; sleep 0.5; echo second").Stdout)
	r = d.Tug("logs", "-f", id)
	if r.Stdout != "first\nsecond\n" {
		t.Errorf("logs -f = %q, want both lines then exit", r.Stdout)
	}
}
