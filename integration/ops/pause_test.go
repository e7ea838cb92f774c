package ops

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// A paused container stops counting and resumes where it was; exec is
// refused with Docker's text; ps shows (Paused); stop and kill of a paused
// container work.
func TestPauseFreezesAndResumes(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	id := must(t, d, "run", "-d", "--name", "ctr", "busybox", "sh", "-c", "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done")
	count := func() int {
		n, _ := strconv.Atoi(strings.TrimSpace(d.Tug("exec", "ctr", "cat", "/tmp/n").Stdout))
		return n
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return count() > 3 })
	must(t, d, "pause", "ctr")
	if s := inspect(d, "{{.State.Status}} {{.State.Paused}}", "ctr"); s != "paused true" {
		t.Errorf("after pause: %q", s)
	}
	if ps := must(t, d, "ps", "--format", "{{.Status}}"); !strings.HasSuffix(ps, "(Paused)") {
		t.Errorf("ps status = %q, want (Paused)", ps)
	}
	r := d.Tug("exec", "ctr", "true")
	if want := "Container " + id + " is paused, unpause the container before exec"; r.ExitCode == 0 || !strings.Contains(r.Stderr, want) {
		t.Errorf("exec into paused: %s; want %q", r, want)
	}
	if r := d.Docker("pause", "ctr"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "is already paused") {
		t.Errorf("docker pause of a paused container: %s", r)
	}
	// Frozen: the counter does not move (read through the host's view of the rootfs).
	rootfs := inspect(d, "{{.GraphDriver.Data.MergedDir}}", "ctr")
	read := func() string { return strings.TrimSpace(readFile(t, rootfs+"/tmp/n")) }
	before := read()
	time.Sleep(300 * time.Millisecond) // deliberate: a running counter would move 6 times
	if after := read(); after != before {
		t.Errorf("counter moved while paused: %s -> %s", before, after)
	}
	must(t, d, "unpause", "ctr")
	n, _ := strconv.Atoi(before)
	testutil.Eventually(t, 10*time.Second, func() bool { return count() > n+3 })
	if r := d.Tug("unpause", "ctr"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "is not paused") {
		t.Errorf("unpause of a running container: %s", r)
	}

	// stop of a paused container: SIGTERM is delivered once it is thawed.
	must(t, d, "pause", "ctr")
	start := time.Now()
	must(t, d, "stop", "-t", "5", "ctr")
	if s := inspect(d, "{{.State.Status}} {{.State.Paused}}", "ctr"); s != "exited false" {
		t.Errorf("after stop of paused: %q", s)
	}
	if time.Since(start) > 4*time.Second {
		t.Errorf("stop of a paused sh took %v: SIGTERM not delivered", time.Since(start))
	}
	// kill of a paused container.
	must(t, d, "run", "-d", "--name", "kp", "busybox", "sleep", "1000")
	must(t, d, "pause", "kp")
	must(t, d, "kill", "kp")
	if s := inspect(d, "{{.State.Status}} {{.State.ExitCode}}", "kp"); s != "exited 137" {
		t.Errorf("after kill of paused: %q", s)
	}
	ev := must(t, d, "events", "--since", "1h", "--until", time.Now().Format(time.RFC3339Nano), "--filter", "container=ctr", "--format", "{{.Action}}")
	if !strings.Contains(ev, "pause\n") || !strings.Contains(ev, "unpause\n") {
		t.Errorf("events of ctr = %q, want pause and unpause", ev)
	}
}
