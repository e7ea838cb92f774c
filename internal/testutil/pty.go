package testutil

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PTYStep is one thing done on a terminal RunPTY drives, in this order:
// wait until the terminal shows Wait, resize it to Resize, type Input;
// with Until set, type Input again every retype interval until the
// terminal shows Until. Wait and Until count only what the terminal shows
// after the previous step's input was typed (after the start for the
// first step).
type PTYStep struct {
	Wait   string
	Resize *pty.Winsize
	Input  string
	Until  string
}

// PTYTimeout bounds a RunPTY run and each of its steps' waits.
var PTYTimeout = 20 * time.Second

// ptyRetype is how long a step with Until waits before typing Input again.
const ptyRetype = 250 * time.Millisecond

// RunPTY runs cmd on a 30x100 pseudo-terminal, plays steps, and returns
// everything the terminal showed and cmd's exit status. When there are
// steps, the first is played once cmd has put the terminal in raw mode
// (a tug or docker CLI attached to a TTY does so once it is attached and
// reads its input). A run or a wait that takes longer than PTYTimeout
// fails the test, showing what the terminal showed.
func RunPTY(t testing.TB, cmd *exec.Cmd, steps ...PTYStep) (string, int) {
	t.Helper()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var out SafeBuffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&out, ptmx); close(copied) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fail := func(format string, args ...any) {
		t.Helper()
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("%v: "+format+"; terminal showed %q", append(append([]any{cmd.Args}, args...), out.String())...)
	}

	if len(steps) > 0 && !WaitFor(PTYTimeout, func() bool { return isRaw(ptmx) }) {
		fail("terminal not in raw mode after %v", PTYTimeout)
	}
	from := 0 // the terminal's output since the previous step
	shows := func(s string) bool { return strings.Contains(out.String()[from:], s) }
	for i, s := range steps {
		if s.Wait != "" && !WaitFor(PTYTimeout, func() bool { return shows(s.Wait) }) {
			fail("step %d: the terminal did not show %q", i, s.Wait)
		}
		if s.Resize != nil {
			if err := pty.Setsize(ptmx, s.Resize); err != nil {
				fail("resize: %v", err)
			}
		}
		from = out.Len()
		typeIn := func() {
			if s.Input == "" {
				return
			}
			if _, err := ptmx.Write([]byte(s.Input)); err != nil {
				fail("typing %q: %v", s.Input, err)
			}
		}
		typeIn()
		if s.Until == "" {
			continue
		}
		deadline := time.Now().Add(PTYTimeout)
		for !WaitFor(ptyRetype, func() bool { return shows(s.Until) }) {
			if time.Now().After(deadline) {
				fail("step %d: the terminal did not show %q", i, s.Until)
			}
			if s.Resize != nil {
				// A CLI that resized before it watched SIGWINCH (the
				// docker CLI starts watching after the start call)
				// missed the terminal's signal: send it again, as the
				// terminal would on another resize.
				_ = cmd.Process.Signal(syscall.SIGWINCH)
			}
			typeIn()
		}
	}

	select {
	case <-exited:
	case <-time.After(PTYTimeout):
		fail("still running after %v", PTYTimeout)
	}
	// The output copy ends at EOF on the terminal, once every process
	// holding it is gone; what is left to read is read by then.
	select {
	case <-copied:
	case <-time.After(time.Second):
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// isRaw reports whether the terminal of the pty master ptmx echoes no
// input and hands it over without waiting for a line: raw mode. (On
// Linux a master's termios calls act on its terminal.)
func isRaw(ptmx *os.File) bool {
	rc, err := ptmx.SyscallConn()
	if err != nil {
		return false
	}
	raw := false
	_ = rc.Control(func(fd uintptr) {
		tio, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		raw = err == nil && tio.Lflag&(unix.ECHO|unix.ICANON) == 0
	})
	return raw
}
