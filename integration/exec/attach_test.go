package exec

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/tug-project/tug/internal/testutil"
)

// attach --sig-proxy (the default) forwards the CLI's signals to a
// container without a TTY.
func TestAttachSigProxy(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	script := `trap "echo got-term; exit 3" TERM; echo ready; while true; do sleep 0.1; done`
	if r := d.Tug("run", "-d", "--name", "sp", "busybox", "sh", "-c", script); r.ExitCode != 0 {
		t.Fatal(r)
	}
	for _, c := range clis(t, d) {
		if c.name == "docker" {
			if r := d.Tug("start", "sp"); r.ExitCode != 0 {
				t.Fatal(r)
			}
		}
		cmd := c.cmd("attach", "sp")
		var out lockedBuf
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // attached
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("%s attach did not end after SIGTERM: %q", c.name, out.String())
		}
		if code := cmd.ProcessState.ExitCode(); code != 3 || !strings.Contains(out.String(), "got-term") {
			t.Errorf("%s attach + SIGTERM: exit %d, output %q; want 3 and got-term", c.name, code, out.String())
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
	for _, c := range clis(t, d) {
		r := c.run("typed "+c.name+"\n", "start", "-ai", "si")
		if r.ExitCode != 4 || r.Stdout != "typed "+c.name+"\n" {
			t.Errorf("%s start -ai: %s; want the input echoed and exit 4", c.name, r)
		}
	}
}

// run -it starts at the client's terminal size and follows its resizes.
func TestRunTTYResize(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	for _, c := range clis(t, d) {
		out, code := runPTY(t, c.cmd("run", "--rm", "-it", "--network", "none", "busybox", "sh"),
			step{input: "stty size\r"},
			step{resize: &pty.Winsize{Rows: 33, Cols: 111}},
			step{input: "stty size\r"},
			step{input: "exit 2\r"})
		if code != 2 || !strings.Contains(out, "30 100") || !strings.Contains(out, "33 111") {
			t.Errorf("%s run -it with a resize: exit %d, terminal %q; want 2, 30 100 then 33 111", c.name, code, out)
		}
	}
}
