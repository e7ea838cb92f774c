package container

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/tug-project/tug/internal/testutil"
)

// runPTY runs the tug CLI on a pseudo-terminal, writes input after a
// pause, and returns everything the terminal showed.
func runPTY(t *testing.T, d *testutil.Daemon, input string, args ...string) (string, int) {
	return runPTYSteps(t, d, []string{input}, args...)
}

// runPTYSteps is runPTY with input typed in steps, half a second apart.
func runPTYSteps(t *testing.T, d *testutil.Daemon, steps []string, args ...string) (string, int) {
	t.Helper()
	return runOnPTY(t, exec.Command(filepath.Join(d.Bin, "tug"), append([]string{"-H", d.Host}, args...)...), steps)
}

// dockerPTY runs the stock docker CLI against d on a pseudo-terminal.
func dockerPTY(t *testing.T, d *testutil.Daemon, steps []string, args ...string) (string, int) {
	t.Helper()
	path, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker CLI not installed")
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER_CONFIG="+t.TempDir())
	return runOnPTY(t, cmd, steps)
}

func runOnPTY(t *testing.T, cmd *exec.Cmd, steps []string) (string, int) {
	t.Helper()
	args := cmd.Args
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&out, ptmx); close(done) }()
	for _, input := range steps {
		if input == "" {
			continue
		}
		time.Sleep(500 * time.Millisecond)
		if _, err := ptmx.Write([]byte(input)); err != nil {
			t.Fatal(err)
		}
	}
	werr := make(chan error, 1)
	go func() { werr <- cmd.Wait() }()
	select {
	case <-werr:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("tug %v hung; terminal showed %q", args, out.String())
	}
	select {
	case <-done:
	case <-time.After(time.Second):
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

func TestRunTTY(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	out, code := runPTY(t, d, "", "run", "--rm", "-it", "busybox", "tty")
	if code != 0 || !strings.Contains(out, "/dev/pts/0") {
		t.Errorf("run -it tty: exit %d, terminal %q", code, out)
	}
	out, code = runPTY(t, d, "", "run", "--rm", "-it", "busybox", "stty", "size")
	if code != 0 || !strings.Contains(out, "30 100") {
		t.Errorf("run -it stty size: exit %d, terminal %q, want 30 100", code, out)
	}
	out, code = runPTY(t, d, "echo in-shell-$((6*7))\rexit 5\r", "run", "--rm", "-it", "busybox", "sh")
	if code != 5 || !strings.Contains(out, "in-shell-42") {
		t.Errorf("interactive sh: exit %d, terminal %q", code, out)
	}
}

func TestAttachDetach(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	r := d.Tug("run", "-itd", "--name", "shell", "busybox", "sh")
	if r.ExitCode != 0 {
		t.Fatalf("run -itd: %s", r)
	}
	// ctrl-p ctrl-q detaches; the container keeps running. docker attach
	// reports the detach as "read escape sequence" with status 1.
	out, code := runPTYSteps(t, d, []string{"echo attached-$((1+1))\r", "\x10\x11"}, "attach", "shell")
	if code != 1 || !strings.Contains(out, "attached-2") || !strings.Contains(out, "read escape sequence") {
		t.Errorf("attach + detach: exit %d, terminal %q", code, out)
	}
	if r := d.Tug("inspect", "--format", "{{.State.Running}}", "shell"); strings.TrimSpace(r.Stdout) != "true" {
		t.Errorf("after detach running = %q, want true", r.Stdout)
	}
}

func TestDockerCLITTY(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	out, code := dockerPTY(t, d, nil, "run", "--rm", "-it", "busybox", "tty")
	if code != 0 || !strings.Contains(out, "/dev/pts/0") {
		t.Errorf("docker run -it tty: exit %d, terminal %q", code, out)
	}
	out, code = dockerPTY(t, d, []string{"echo via-docker-$((2*3))\r", "exit 4\r"}, "run", "--rm", "-it", "busybox", "sh")
	if code != 4 || !strings.Contains(out, "via-docker-6") {
		t.Errorf("docker run -it sh: exit %d, terminal %q", code, out)
	}
	if r := d.Docker("run", "-itd", "--name", "dshell", "busybox", "sh"); r.ExitCode != 0 {
		t.Fatalf("docker run -itd: %s", r)
	}
	out, _ = dockerPTY(t, d, []string{"echo docker-attached\r", "\x10\x11"}, "attach", "dshell")
	if !strings.Contains(out, "docker-attached") || !strings.Contains(out, "read escape sequence") {
		t.Errorf("docker attach + detach: terminal %q", out)
	}
	if r := d.Docker("inspect", "-f", "{{.State.Running}}", "dshell"); strings.TrimSpace(r.Stdout) != "true" {
		t.Errorf("after docker detach running = %q", r.Stdout)
	}
}
