package cri

import (
	"strings"
	"testing"

	"github.com/creack/pty"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/testutil"
)

// crictl exec without -s goes through the streaming server (the Exec call
// hands out a URL, crictl upgrades it to SPDY streams): the command's
// stdout and stderr reach crictl's, piped stdin reaches it with -i, and a
// non-zero exit code reaches crictl, which reports it and exits 1 (crictl
// exits 1 on any failed exec, against containerd too).
func TestStreamExecThroughCrictl(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podConfig("exec")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "app", "sleep 1000")
	c.startContainer(id)

	r := c.Crictl("exec", id, "sh", "-c", "echo to-stdout; echo to-stderr >&2")
	if r.ExitCode != 0 || r.Stdout != "to-stdout\n" || !strings.Contains(r.Stderr, "to-stderr") {
		t.Errorf("crictl exec: %s\nwant to-stdout on stdout, to-stderr on stderr\n%s", r, c.Log())
	}
	r = c.CrictlIn("line one\nline two\n", "exec", "-i", id[:12], "sh", "-c", "wc -l; echo done")
	if r.ExitCode != 0 || strings.Fields(r.Stdout)[0] != "2" || !strings.Contains(r.Stdout, "done") {
		t.Errorf("crictl exec -i with two lines piped: %s; want 2 lines counted, then done (stdin ended)", r)
	}
	r = c.Crictl("exec", id, "sh", "-c", "echo before-exit; exit 3")
	if r.ExitCode != 1 || r.Stdout != "before-exit\n" || !strings.Contains(r.Stderr, "exit code 3") {
		t.Errorf("crictl exec of exit 3: %s; want crictl's exit 1 reporting exit code 3", r)
	}
	// As with containerd: a command that cannot start is an error of the
	// exec, not an exit code.
	if r := c.Crictl("exec", id, "no-such-command"); r.ExitCode != 1 || !strings.Contains(r.Stderr, "executable file not found") {
		t.Errorf("crictl exec of a missing command: %s; want the start's error", r)
	}
}

// crictl exec -it: the command gets a terminal of crictl's size from its
// start, follows crictl's resizes, and reads what is typed.
func TestStreamExecWithTerminalThroughCrictl(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podConfig("exectty")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "app", "sleep 1000")
	c.startContainer(id)

	out, code := testutil.RunPTY(t, c.CrictlCmd("exec", "-it", id, "tty"))
	if code != 0 || !strings.Contains(out, "/dev/pts/") {
		t.Errorf("crictl exec -it tty: exit %d, terminal %q", code, out)
	}
	out, code = testutil.RunPTY(t, c.CrictlCmd("exec", "-it", id, "stty", "size"))
	if code != 0 || !strings.Contains(out, "30 100") {
		t.Errorf("crictl exec -it stty size: exit %d, terminal %q, want 30 100 at once", code, out)
	}
	out, code = testutil.RunPTY(t, c.CrictlCmd("exec", "-it", id, "sh"),
		testutil.PTYStep{Input: "echo in-shell-$((6*7))\r"},
		testutil.PTYStep{Wait: "in-shell-42", Resize: &pty.Winsize{Rows: 40, Cols: 120}, Input: "stty size\r", Until: "40 120"},
		testutil.PTYStep{Input: "exit 0\r"})
	if code != 0 || !strings.Contains(out, "in-shell-42") || !strings.Contains(out, "40 120") {
		t.Errorf("crictl exec -it sh: exit %d, terminal %q; want 0, in-shell-42 and 40 120", code, out)
	}
}

// The Exec call checks what it can before handing out a URL: the
// container must run, and a command is needed.
func TestStreamExecRefusals(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podConfig("execno")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "app", "sleep 1000")
	ctx := ctxT(t)
	_, err := c.Runtime.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: id, Cmd: []string{"true"}, Stdout: true})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "not running") {
		t.Errorf("Exec in a created container = %v; want FailedPrecondition, not running", err)
	}
	c.startContainer(id)
	_, err = c.Runtime.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: id, Stdout: true})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("Exec without a command = %v; want InvalidArgument", err)
	}
	_, err = c.Runtime.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: id, Cmd: []string{"true"}, Tty: true, Stderr: true})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("Exec with a terminal and stderr = %v; want InvalidArgument (a terminal has one output)", err)
	}
	resp, err := c.Runtime.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: id, Cmd: []string{"true"}, Stdout: true})
	if err != nil || !strings.HasPrefix(resp.Url, "http://127.0.0.1:") {
		t.Errorf("Exec = %v, %v; want a URL on 127.0.0.1", resp, err)
	}
}
