package container

import (
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/tug-project/tug/internal/testutil"
)

// run -it gives the container a terminal of the client's size, and an
// interactive shell's exit status is run's.
func TestRunTTY(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	for _, c := range d.CLIs() {
		out, code := testutil.RunPTY(t, c.Cmd("run", "--rm", "-it", "busybox", "tty"))
		if code != 0 || !strings.Contains(out, "/dev/pts/0") {
			t.Errorf("%s run -it tty: exit %d, terminal %q", c.Name, code, out)
		}
		out, code = testutil.RunPTY(t, c.Cmd("run", "--rm", "-it", "busybox", "stty", "size"))
		if code != 0 || !strings.Contains(out, "30 100") {
			t.Errorf("%s run -it stty size: exit %d, terminal %q, want 30 100", c.Name, code, out)
		}
		out, code = testutil.RunPTY(t, c.Cmd("run", "--rm", "-it", "busybox", "sh"),
			testutil.PTYStep{Input: "echo in-shell-$((6*7))\rexit 5\r"})
		if code != 5 || !strings.Contains(out, "in-shell-42") {
			t.Errorf("%s run -it sh: exit %d, terminal %q; want 5 and in-shell-42", c.Name, code, out)
		}
	}
}

// run -it starts at the client's terminal size and follows its resizes.
func TestRunTTYFollowsResize(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	for _, c := range d.CLIs() {
		// A resize reaches the container a moment after the terminal's:
		// stty is run until it shows the new size.
		out, code := testutil.RunPTY(t, c.Cmd("run", "--rm", "-it", "--network", "none", "busybox", "sh"),
			testutil.PTYStep{Input: "stty size\r", Until: "30 100"},
			testutil.PTYStep{Resize: &pty.Winsize{Rows: 33, Cols: 111}, Input: "stty size\r", Until: "33 111"},
			testutil.PTYStep{Input: "exit 2\r"})
		if code != 2 {
			t.Errorf("%s run -it with a resize: exit %d, terminal %q; want 2", c.Name, code, out)
		}
	}
}
