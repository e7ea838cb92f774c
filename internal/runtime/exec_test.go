package runtime

import (
	"context"
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/errdefs"
)

// execProcess is a process for exec in a test container.
func execProcess(tty bool, args ...string) *specs.Process {
	return &specs.Process{Args: args, Env: []string{"PATH=/bin", "X=1"}, Cwd: "/", Terminal: tty}
}

// Execs in one running container: output, stdin, terminal, start errors,
// and a detached exec that dies with the container.
func TestExecRunsProcessesInContainer(t *testing.T) {
	b := setup(t, []string{"sleep", "100"}, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := spawn(t, b)
	if _, err := c.Start(ctx); err != nil {
		t.Fatalf("Start() = %v", err)
	}

	exec := func(t *testing.T, id string, tty bool, stdin string, args ...string) (string, string, Exit, error) {
		t.Helper()
		out, errb := newBuf(), newBuf()
		s := &AttachStreams{Stdout: out, Stderr: errb}
		if stdin != "" {
			s.Stdin = strings.NewReader(stdin)
		}
		var pid int
		err := c.Exec(ctx, ExecConfig{ID: id, Process: execProcess(tty, args...), OpenStdin: stdin != "", Started: func(p int) { pid = p }}, s)
		if err != nil {
			return "", "", Exit{}, err
		}
		if pid <= 0 {
			t.Errorf("exec %s: pid = %d", id, pid)
		}
		e, err := c.ExecWait(ctx, id)
		return out.String(), errb.String(), e, err
	}

	t.Run("output, environment and exit code reach the client", func(t *testing.T) {
		out, errOut, e, err := exec(t, "e1", false, "", "sh", "-c", "echo out $X; echo err >&2; exit 3")
		if err != nil || out != "out 1\n" || errOut != "err\n" || e.Code != 3 {
			t.Errorf("exec = %q, %q, %+v, %v; want out, err, code 3", out, errOut, e, err)
		}
	})
	t.Run("client stdin reaches it and its end closes it", func(t *testing.T) {
		out, _, e, err := exec(t, "e2", false, "through stdin\n", "cat")
		if err != nil || out != "through stdin\n" || e.Code != 0 {
			t.Errorf("exec cat = %q, %+v, %v", out, e, err)
		}
	})
	t.Run("terminal gives it a pty", func(t *testing.T) {
		out, _, e, err := exec(t, "e3", true, "", "tty")
		if err != nil || !strings.HasPrefix(out, "/dev/pts/") || e.Code != 0 {
			t.Errorf("exec -t tty = %q, %+v, %v", out, e, err)
		}
	})
	t.Run("missing command fails with ErrCommandNotFound", func(t *testing.T) {
		if _, _, _, err := exec(t, "e4", false, "", "no-such-command"); !errors.Is(err, errdefs.ErrCommandNotFound) {
			t.Errorf("exec no-such-command = %v, want class ErrCommandNotFound", err)
		}
	})
	t.Run("directory as command fails with ErrCannotInvoke", func(t *testing.T) {
		if _, _, _, err := exec(t, "e5", false, "", "/etc"); !errors.Is(err, errdefs.ErrCannotInvoke) {
			t.Errorf("exec /etc = %v, want class ErrCannotInvoke", err)
		}
	})

	// A detached exec, listed among the container's pids, dies with it.
	var pid int
	if err := c.Exec(ctx, ExecConfig{ID: "bg", Process: execProcess(false, "sleep", "100"), Started: func(p int) { pid = p }}, nil); err != nil {
		t.Fatalf("detached Exec() = %v", err)
	}
	pids, err := c.Pids(ctx)
	if err != nil || !slices.Contains(pids, pid) || !slices.Contains(pids, c.Pid()) {
		t.Errorf("Pids() = %v, %v; want %d and %d in it", pids, err, pid, c.Pid())
	}
	if err := c.Kill(ctx, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if e, err := c.ExecWait(ctx, "bg"); err != nil || e.Code != 137 {
		t.Errorf("ExecWait(bg) after the container died = %+v, %v; want 137", e, err)
	}
	if _, err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Exec(ctx, ExecConfig{ID: "late", Process: execProcess(false, "true")}, nil); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("Exec() in an exited container = %v, want class ErrConflict", err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
