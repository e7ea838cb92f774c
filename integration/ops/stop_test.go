package ops

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// A process that ignores SIGTERM is killed after --stop-timeout; the
// image's STOPSIGNAL and --stop-signal are what stop sends.
func TestStopSignalsAndTimeout(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	must(t, d, "run", "-d", "--name", "deaf", "--stop-timeout", "1", "busybox", "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done")
	start := time.Now()
	must(t, d, "stop", "deaf")
	if took := time.Since(start); took < time.Second || took > 5*time.Second {
		t.Errorf("stop took %v, want about the 1 s timeout", took)
	}
	if s := inspect(d, "{{.State.ExitCode}}", "deaf"); s != "137" {
		t.Errorf("exit code = %s, want 137", s)
	}
	// --stop-signal USR1, trapped: exits 10.
	must(t, d, "run", "-d", "--name", "usr1", "--stop-signal", "USR1", "busybox", "sh", "-c", "trap 'exit 10' USR1; echo trapped; while true; do sleep 0.1; done")
	waitLog(t, d, "usr1", "trapped") // pid 1 ignores a signal it has no handler for yet
	must(t, d, "stop", "usr1")
	if s := inspect(d, "{{.State.ExitCode}}", "usr1"); s != "10" {
		t.Errorf("--stop-signal USR1: exit %s, want 10", s)
	}
	// STOPSIGNAL from the image.
	dir := t.TempDir()
	writeFile(t, dir+"/Dockerfile", "FROM busybox\nSTOPSIGNAL SIGUSR2\n")
	must(t, d, "build", "-q", "-t", "sig", dir)
	must(t, d, "run", "-d", "--name", "usr2", "sig", "sh", "-c", "trap 'exit 12' USR2; echo trapped; while true; do sleep 0.1; done")
	waitLog(t, d, "usr2", "trapped")
	if s := inspect(d, "{{.Config.StopSignal}}", "usr2"); s != "SIGUSR2" {
		t.Errorf("StopSignal = %q", s)
	}
	must(t, d, "stop", "usr2")
	if s := inspect(d, "{{.State.ExitCode}}", "usr2"); s != "12" {
		t.Errorf("image STOPSIGNAL: exit %s, want 12", s)
	}
}

// kill -s SIGKILL returns once the container has stopped, so rm without
// -f works right after, with tug and with docker.
func TestKillThenRemove(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	for _, cli := range d.CLIs() {
		must(t, d, "run", "-d", "--name", "kr", "busybox", "sleep", "1000")
		if r := cli.Run("", "kill", "-s", "SIGKILL", "kr"); r.ExitCode != 0 {
			t.Fatalf("%s kill: %s", cli.Name, r)
		}
		if r := cli.Run("", "rm", "kr"); r.ExitCode != 0 {
			t.Errorf("%s rm right after kill: %s", cli.Name, r)
			d.Tug("rm", "-f", "kr")
		}
	}
}

// wait on a container with a restart policy returns at its first exit;
// next-exit waits for the next one, removed for the removal.
func TestWaitConditions(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	ctx := context.Background()
	must(t, d, "run", "-d", "--name", "rp", "--restart", "always", "busybox", "sh", "-c", "sleep 0.5; exit 3")
	r := d.Tug("wait", "rp")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "3" {
		t.Errorf("wait on a restarting container: %s, want 3", r)
	}
	must(t, d, "update", "--restart", "no", "rp")
	must(t, d, "create", "--name", "nx", "busybox", "sh", "-c", "exit 4")
	res := d.Client.ContainerWait(ctx, "nx", client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	must(t, d, "start", "nx")
	select {
	case w := <-res.Result:
		if w.StatusCode != 4 {
			t.Errorf("next-exit: %d, want 4", w.StatusCode)
		}
	case err := <-res.Error:
		t.Fatalf("next-exit: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("next-exit: no result")
	}
	rm := d.Client.ContainerWait(ctx, "nx", client.ContainerWaitOptions{Condition: container.WaitConditionRemoved})
	must(t, d, "rm", "nx")
	select {
	case w := <-rm.Result:
		if w.StatusCode != 4 {
			t.Errorf("removed: %d, want 4", w.StatusCode)
		}
	case err := <-rm.Error:
		t.Fatalf("removed: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("removed: no result")
	}
}

// waitLog waits until the container's log shows want.
func waitLog(t *testing.T, d *testutil.Daemon, name, want string) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, func() bool {
		return strings.Contains(d.Tug("logs", name).Stdout, want)
	})
}
