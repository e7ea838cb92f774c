package monitor

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/logger"
)

// These tests drive procIO with an ordinary child process (os/exec) in
// place of a container process: they need no root.

// startProc starts name with the stdio p makes (no terminal) and reaps it
// in the background like the shim does.
func startProc(t *testing.T, p *procIO, openStdin bool, name string, args ...string) {
	t.Helper()
	var cmd *exec.Cmd
	err := p.start(false, openStdin, func(stdio ProcessIO) error {
		cmd = exec.Command(name, args...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
		return cmd.Start()
	})
	if err != nil {
		t.Fatalf("start() = %v", err)
	}
	wait := func() (unix.WaitStatus, error) {
		err := cmd.Wait()
		if _, exited := err.(*exec.ExitError); exited {
			err = nil
		}
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		return unix.WaitStatus(ws), err
	}
	go p.reap(wait, nil)
	t.Cleanup(func() {
		if _, ok := p.exitStatus(); !ok {
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
}

// frames is the client's end of an attacher: what it received, by kind.
type frames struct {
	conn   net.Conn
	mu     sync.Mutex
	stdout strings.Builder
	stderr strings.Builder
	kinds  []byte
	ended  chan struct{} // closed at the end frame or the end of the connection
}

// attachPipe registers an attacher on one end of an in-memory connection
// with p and serves it like the shim does; it returns the client's end.
func attachPipe(t *testing.T, p *procIO, withStdin bool, eof func()) *frames {
	t.Helper()
	server, client := net.Pipe()
	t.Cleanup(func() { client.Close() })
	a := newAttacher(server)
	if !p.attach(a) {
		t.Fatal("attach() = false before the output ended")
	}
	var writers sync.WaitGroup
	go p.stream(a, bufio.NewReader(server), &writers, withStdin, eof)
	f := &frames{conn: client, ended: make(chan struct{})}
	go func() {
		defer close(f.ended)
		br := bufio.NewReader(client)
		buf := make([]byte, 32<<10)
		for {
			kind, b, err := ReadFrame(br, buf)
			if err != nil {
				return
			}
			f.mu.Lock()
			f.kinds = append(f.kinds, kind)
			switch kind {
			case FrameStdout:
				f.stdout.Write(b)
			case FrameStderr:
				f.stderr.Write(b)
			}
			f.mu.Unlock()
			if kind == FrameEnd {
				return
			}
		}
	}()
	return f
}

func (f *frames) wait(t *testing.T) (stdout, stderr string, kinds []byte) {
	t.Helper()
	select {
	case <-f.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("no end frame within 10s")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stdout.String(), f.stderr.String(), f.kinds
}

func (f *frames) send(t *testing.T, kind byte, b []byte) {
	t.Helper()
	if _, err := f.conn.Write(MakeFrame(kind, b)); err != nil {
		t.Fatalf("write frame: %v", err)
	}
}

func waitExited(t *testing.T, p *procIO) Exit {
	t.Helper()
	select {
	case <-p.exited:
		return p.exit
	case <-time.After(10 * time.Second):
		t.Fatal("process not reaped within 10s")
		return Exit{}
	}
}

func TestProcIOFramesReachEveryAttacherInOrderThenEnd(t *testing.T) {
	p := newProcIO(nil, slog.Default())
	a1 := attachPipe(t, p, false, nil)
	a2 := attachPipe(t, p, false, nil)
	startProc(t, p, false, "sh", "-c", `i=0; while [ $i -lt 200 ]; do echo "line $i"; i=$((i+1)); done; echo oops >&2; exit 3`)

	var want strings.Builder
	for i := range 200 {
		want.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	for i, a := range []*frames{a1, a2} {
		stdout, stderr, kinds := a.wait(t)
		if stdout != want.String() || stderr != "oops\n" {
			t.Errorf("attacher %d got stdout %q..., stderr %q; want 200 lines in order and %q", i, stdout[:min(len(stdout), 40)], stderr, "oops\n")
		}
		if len(kinds) == 0 || kinds[len(kinds)-1] != FrameEnd {
			t.Errorf("attacher %d: last frame kind = %v, want the end frame last", i, kinds)
		}
	}
	if e := waitExited(t, p); e.Code != 3 || e.ExitedAt.IsZero() {
		t.Errorf("exit = %+v, want code 3 and a time", e)
	}
}

func TestProcIOStdinReachesProcessAndClientEOFClosesIt(t *testing.T) {
	p := newProcIO(nil, slog.Default())
	a := attachPipe(t, p, true, p.closeStdin)
	startProc(t, p, true, "cat")
	a.send(t, FrameStdin, []byte("hello "))
	a.send(t, FrameStdin, []byte("stdin\n"))
	a.send(t, FrameStdinEOF, nil) // cat ends once its stdin is closed
	stdout, _, _ := a.wait(t)
	if stdout != "hello stdin\n" {
		t.Errorf("stdout = %q, want %q", stdout, "hello stdin\n")
	}
	if e := waitExited(t, p); e.Code != 0 {
		t.Errorf("exit = %+v, want code 0", e)
	}
}

func TestProcIOTakesStdinOnlyFromAttachersWithStdin(t *testing.T) {
	p := newProcIO(nil, slog.Default())
	watcher := attachPipe(t, p, false, p.closeStdin)
	startProc(t, p, true, "cat")
	watcher.send(t, FrameStdin, []byte("ignored\n"))
	watcher.send(t, FrameStdinEOF, nil) // returns once the frame before it was handled
	typist := attachPipe(t, p, true, p.closeStdin)
	typist.send(t, FrameStdin, []byte("typed\n"))
	typist.send(t, FrameStdinEOF, nil)
	for name, a := range map[string]*frames{"without stdin": watcher, "with stdin": typist} {
		if stdout, _, _ := a.wait(t); stdout != "typed\n" {
			t.Errorf("attacher %s: stdout = %q, want %q", name, stdout, "typed\n")
		}
	}
}

func TestProcIOOutputEndsOnlyWhenBothStreamsEnd(t *testing.T) {
	p := newProcIO(nil, slog.Default())
	a := attachPipe(t, p, false, nil)
	// The shell exits at once; a child it leaves behind has closed stdout
	// and writes to stderr a moment later (within the drain timeout).
	startProc(t, p, false, "sh", "-c", `echo first; (exec >/dev/null; sleep 0.3; echo late >&2) & exit 0`)
	stdout, stderr, kinds := a.wait(t)
	if stdout != "first\n" || stderr != "late\n" {
		t.Errorf("output = %q, %q; want %q, %q", stdout, stderr, "first\n", "late\n")
	}
	if kinds[len(kinds)-1] != FrameEnd {
		t.Errorf("frame kinds = %v, want the end frame last", kinds)
	}
	waitExited(t, p)
	if p.attach(newAttacher(nil)) {
		t.Error("attach() after the output ended = true, want false")
	}
}

func TestProcIOLogsOutputWhenGivenALog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr-json.log")
	log, err := logger.OpenRotating(path, logger.Rotation{})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	p := newProcIO(log, slog.Default())
	startProc(t, p, false, "sh", "-c", "echo out; echo err >&2")
	waitExited(t, p)
	got := map[string]string{}
	err = logger.Read(context.Background(), path, logger.ReadOptions{Tail: -1}, func(r logger.Record) error {
		got[r.Stream] += string(r.Line)
		return nil
	})
	if err != nil {
		t.Fatalf("logger.Read() = %v", err)
	}
	if got["stdout"] != "out\n" || got["stderr"] != "err\n" {
		t.Errorf("log = %q, want stdout %q and stderr %q", got, "out\n", "err\n")
	}
}

func TestProcIOResizeWithoutTerminalIsANoop(t *testing.T) {
	p := newProcIO(nil, slog.Default())
	if err := p.resize(24, 80); err != nil {
		t.Errorf("resize() without a terminal = %v, want nil", err)
	}
}

func TestProcIOStartFailureClosesEverything(t *testing.T) {
	p := newProcIO(nil, slog.Default())
	failed := errors.New("no such process")
	var pipes []string // the pipes made for the process, as /proc/self/fd names them
	err := p.start(false, true, func(stdio ProcessIO) error {
		for _, f := range []*os.File{stdio.Stdin, stdio.Stdout, stdio.Stderr} {
			pipes = append(pipes, fdTarget(t, int(f.Fd())))
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("start() = %v, want %v", err, failed)
	}
	if p.stdin != nil {
		t.Error("stdin kept after a failed start")
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		fd, _ := strconv.Atoi(e.Name())
		if target := fdTarget(t, fd); slices.Contains(pipes, target) {
			t.Errorf("fd %d (%s) still open after a failed start", fd, target)
		}
	}
}

// fdTarget returns what /proc/self/fd/FD links to ("pipe:[123]" for a
// pipe; both ends of a pipe name the same inode).
func fdTarget(t *testing.T, fd int) string {
	t.Helper()
	target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	return target
}
