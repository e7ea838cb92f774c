package runtime

import (
	"context"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tests of attaching to the container's init: terminal, stdin, detach.

// With a terminal the container sees a pty, and a resize reaches it. (The
// container polls until the pty has a size: `stty size` prints nothing
// before.)
func TestTerminalGetsPtyAndResize(t *testing.T) {
	b := setup(t, []string{"sh", "-c", `tty; i=0; s=; while [ -z "$s" ] && [ $i -lt 1000 ]; do s=$(stty size 2>/dev/null); [ -n "$s" ] || sleep 0.01; i=$((i+1)); done; echo "$s"`}, true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := spawn(t, b)
	out := newBuf()
	attached := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c.Attach(ctx, AttachStreams{Stdout: out, Attached: func() { close(attached) }})
	}()
	<-attached
	if _, err := c.Start(ctx); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	if err := c.Resize(ctx, 42, 137); err != nil {
		t.Fatalf("Resize() = %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Attach() = %v", err)
	}
	if want := "/dev/pts/0\r\n42 137\r\n"; out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
	if e, err := c.Wait(ctx); err != nil || e.Code != 0 {
		t.Errorf("Wait() = %+v, %v", e, err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// With StdinOnce the end of the attached client's stdin closes the
// container's stdin.
func TestStdinOnceClosesStdinAtClientEOF(t *testing.T) {
	b := setup(t, []string{"cat"}, false)
	b.cfg.OpenStdin, b.cfg.StdinOnce = true, true
	stdout, _, e := run(t, b, strings.NewReader("hello stdin\n"))
	if stdout != "hello stdin\n" || e.Code != 0 {
		t.Errorf("cat = %q, %+v; want echo and code 0", stdout, e)
	}
}

// The detach keys end an attach and leave the container running for the
// next attacher; a ctrl-p not followed by ctrl-q is sent as is.
func TestDetachKeysEndAttachContainerKeepsRunning(t *testing.T) {
	b := setup(t, []string{"cat"}, false)
	b.cfg.OpenStdin = true
	ctx := context.Background()
	c := spawn(t, b)
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	out := newBuf()
	done := make(chan error, 1)
	go func() { done <- c.Attach(ctx, AttachStreams{Stdin: pr, Stdout: out}) }()
	pw.Write([]byte("one\n"))
	pw.Write([]byte{16, 'x', '\n'}) // ctrl-p then not ctrl-q: sent as is
	waitFor(t, out, "one\n\x10x\n")
	pw.Write([]byte{16, 17})
	select {
	case err := <-done:
		if err != ErrDetached {
			t.Fatalf("Attach() = %v, want ErrDetached", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no detach")
	}
	// still running: a second attacher can talk to it.
	pr2, pw2 := io.Pipe()
	out2 := newBuf()
	go func() { done <- c.Attach(ctx, AttachStreams{Stdin: pr2, Stdout: out2}) }()
	pw2.Write([]byte("two\n"))
	waitFor(t, out2, "two\n")
	if got := out.String(); got != "one\n\x10x\n" {
		t.Errorf("first attach output = %q", got)
	}
	if got := out2.String(); got != "two\n" {
		t.Errorf("second attach output = %q", got)
	}
	c.Kill(ctx, syscall.SIGKILL)
	if err := <-done; err != nil {
		t.Errorf("Attach() after kill = %v", err)
	}
	c.Wait(ctx)
	c.Shutdown(ctx)
}
