package container

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// run --sig-proxy (the default) forwards every signal the CLI receives to
// a container without a TTY, not only the ones that would end the CLI,
// and the CLI exits with the container's status.
func TestRunForwardsTheCLIsSignalsToTheContainer(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	script := `trap "echo got-usr1" USR1; trap "echo got-hup; exit 4" HUP; echo ready; while true; do sleep 0.1; done`
	for _, c := range d.CLIs() {
		cmd := c.Cmd("run", "--rm", "busybox", "sh", "-c", script)
		var out testutil.SafeBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		step := func(sig syscall.Signal, want string) bool {
			if sig != 0 {
				_ = cmd.Process.Signal(sig)
			}
			if testutil.WaitFor(10*time.Second, func() bool { return strings.Contains(out.String(), want) }) {
				return true
			}
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("%s run: no %q after %v: %q", c.Name, want, sig, out.String())
			return false
		}
		if !step(0, "ready") || !step(syscall.SIGUSR1, "got-usr1") || !step(syscall.SIGHUP, "got-hup") {
			continue
		}
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("%s run did not end after the container exited: %q", c.Name, out.String())
		}
		if code := cmd.ProcessState.ExitCode(); code != 4 {
			t.Errorf("%s run: exit %d, want the container's 4 (output %q)", c.Name, code, out.String())
		}
	}
}
