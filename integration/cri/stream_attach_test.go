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

// runAttachable runs a pod with one busybox container running script,
// with stdin (closed after the first attach ends when once) and a
// terminal as asked, and returns the container's ID.
func (c *criDaemon) runAttachable(name, script string, stdin, once, tty bool) string {
	c.t.Helper()
	pod := podConfig(name)
	podID := c.runPod(pod)
	resp, err := c.Runtime.CreateContainer(ctxT(c.t), &runtimeapi.CreateContainerRequest{
		PodSandboxId: podID,
		Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "app"},
			Image:    &runtimeapi.ImageSpec{Image: "busybox"},
			Command:  []string{"sh", "-c", script},
			Stdin:    stdin, StdinOnce: once, Tty: tty,
			Linux: &runtimeapi.LinuxContainerConfig{},
		},
		SandboxConfig: pod,
	})
	if err != nil {
		c.t.Fatalf("CreateContainer = %v", err)
	}
	c.startContainer(resp.ContainerId)
	return resp.ContainerId
}

// crictl attach -i to a container with a stdin (closed at its end, as
// stdin_once asks): what is piped reaches the container, its output
// reaches crictl, and the attach ends with the container.
func TestStreamAttachSendsStdinAndSeesOutput(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	id := c.runAttachable("att", `while read l; do echo got-$l; echo err-$l >&2; done; echo stdin-closed`, true, true, false)

	r := c.CrictlIn("one\ntwo\n", "attach", "-i", id)
	if r.ExitCode != 0 || r.Stdout != "got-one\ngot-two\nstdin-closed\n" || !strings.Contains(r.Stderr, "err-one\nerr-two\n") {
		t.Errorf("crictl attach -i: %s\nwant each line back on stdout and stderr, then stdin-closed\n%s", r, c.Log())
	}
	if st := c.waitExited(id); st.ExitCode != 0 {
		t.Errorf("status after the attach = %v; want exited 0", st)
	}
}

// crictl attach -it to a container with a terminal: typed input reaches
// its shell, crictl's resizes reach its terminal, and the attach ends
// when the shell exits.
func TestStreamAttachWithTerminal(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	id := c.runAttachable("atttty", "sh", true, false, true)

	out, code := testutil.RunPTY(t, c.CrictlCmd("attach", "-it", id),
		testutil.PTYStep{Input: "echo attached-$((6*7))\r", Until: "attached-42"},
		testutil.PTYStep{Resize: &pty.Winsize{Rows: 40, Cols: 120}, Input: "stty size\r", Until: "40 120"},
		testutil.PTYStep{Input: "exit 4\r"})
	if code != 0 || !strings.Contains(out, "attached-42") || !strings.Contains(out, "40 120") {
		t.Errorf("crictl attach -it: exit %d, terminal %q; want 0, attached-42 and 40 120", code, out)
	}
	if st := c.waitExited(id); st.ExitCode != 4 {
		t.Errorf("status after exit 4 = %v", st)
	}
}

// An attach asking for a stdin or a terminal the container was not
// created with is refused, naming it.
func TestStreamAttachRefusesWhatTheContainerLacks(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	id := c.runAttachable("attno", "sleep 1000", false, false, false)
	ctx := ctxT(t)
	_, err := c.Runtime.Attach(ctx, &runtimeapi.AttachRequest{ContainerId: id, Stdin: true, Stdout: true})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "created without stdin") {
		t.Errorf("Attach with stdin = %v; want InvalidArgument naming the stdin", err)
	}
	_, err = c.Runtime.Attach(ctx, &runtimeapi.AttachRequest{ContainerId: id, Tty: true, Stdout: true})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "has no terminal") {
		t.Errorf("Attach with a terminal = %v; want InvalidArgument naming the terminal", err)
	}
	if r := c.Crictl("attach", "-i", id); r.ExitCode != 1 || !strings.Contains(r.Stderr, "created without stdin") {
		t.Errorf("crictl attach -i: %s", r)
	}
}
