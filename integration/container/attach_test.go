package container

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// ctrl-p ctrl-q detaches from a TTY container, which keeps running;
// attach reports the detach as "read escape sequence" with status 1, as
// docker attach does.
func TestAttachDetachKeys(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	for _, c := range d.CLIs() {
		name := "shell-" + c.Name
		if r := c.Run("", "run", "-itd", "--name", name, "busybox", "sh"); r.ExitCode != 0 {
			t.Fatalf("%s run -itd: %s", c.Name, r)
		}
		out, code := testutil.RunPTY(t, c.Cmd("attach", name),
			testutil.PTYStep{Input: "echo attached-$((1+1))\r"},
			testutil.PTYStep{Wait: "attached-2", Input: "\x10\x11"})
		if code != 1 || !strings.Contains(out, "read escape sequence") {
			t.Errorf("%s attach + detach: exit %d, terminal %q; want 1 and read escape sequence", c.Name, code, out)
		}
		if r := d.Tug("inspect", "--format", "{{.State.Running}}", name); strings.TrimSpace(r.Stdout) != "true" {
			t.Errorf("%s: running after detach = %q, want true", c.Name, r.Stdout)
		}
	}
}

// attach --sig-proxy (the default) forwards the CLI's signals to a
// container without a TTY.
func TestAttachSigProxy(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	script := `trap "echo got-term; exit 3" TERM; while true; do echo tick; sleep 0.1; done`
	if r := d.Tug("run", "-d", "--name", "sp", "busybox", "sh", "-c", script); r.ExitCode != 0 {
		t.Fatal(r)
	}
	for _, c := range d.CLIs() {
		if c.Name == "docker" {
			if r := d.Tug("start", "sp"); r.ExitCode != 0 {
				t.Fatal(r)
			}
		}
		cmd := c.Cmd("attach", "sp")
		var out testutil.SafeBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Output arrives once attached, and the CLI forwards signals
		// from before it attaches.
		if !testutil.WaitFor(10*time.Second, func() bool { return strings.Contains(out.String(), "tick") }) {
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("%s attach showed no output: %q", c.Name, out.String())
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("%s attach did not end after SIGTERM: %q", c.Name, out.String())
		}
		if code := cmd.ProcessState.ExitCode(); code != 3 || !strings.Contains(out.String(), "got-term") {
			t.Errorf("%s attach + SIGTERM: exit %d, output %q; want 3 and got-term", c.Name, code, out.String())
		}
	}
}

// start -ai attaches stdin and output and returns the exit status.
func TestStartAttachInteractive(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("create", "-i", "--name", "si", "busybox", "sh", "-c", "cat; exit 4"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	for _, c := range d.CLIs() {
		r := c.Run("typed "+c.Name+"\n", "start", "-ai", "si")
		if r.ExitCode != 4 || r.Stdout != "typed "+c.Name+"\n" {
			t.Errorf("%s start -ai: %s; want the input echoed and exit 4", c.Name, r)
		}
	}
}
