package exec

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

func startShell(t *testing.T, d *testutil.Daemon, name string, args ...string) {
	t.Helper()
	run := append([]string{"run", "-d", "--name", name}, args...)
	run = append(run, "busybox", "sleep", "1000")
	if r := d.Tug(run...); r.ExitCode != 0 {
		t.Fatalf("tug run: %s", r)
	}
}

func TestExec(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr", "-e", "FROM_RUN=1", "-w", "/home")

	for _, c := range d.CLIs() {
		t.Run(c.Name, func(t *testing.T) {
			tests := []struct {
				name           string
				stdin          string
				args           []string
				stdout, stderr string
				code           int
				stderrHas      string
			}{
				{name: "echo", args: []string{"echo", "hello"}, stdout: "hello\n"},
				{name: "exit code", args: []string{"sh", "-c", "exit 3"}, code: 3},
				{name: "streams apart", args: []string{"sh", "-c", "echo out; echo err >&2"}, stdout: "out\n", stderr: "err\n"},
				{name: "not found", args: []string{"no-such-cmd"}, code: 127, stderrHas: "executable file not found"},
				{name: "not executable", args: []string{"/etc/passwd"}, code: 126, stderrHas: "permission denied"},
				{name: "env", args: []string{"-e", "X=y", "ctr", "sh", "-c", "echo $FROM_RUN $X $HOSTNAME$HOME"}},
				{name: "workdir default", args: []string{"pwd"}, stdout: "/home\n"},
				{name: "workdir", args: []string{"-w", "/tmp", "ctr", "pwd"}, stdout: "/tmp\n"},
				{name: "user name", args: []string{"-u", "tester", "ctr", "sh", "-c", "id -u; id -g; echo $HOME"}, stdout: "1000\n1000\n/home/tester\n"},
				{name: "user ids", args: []string{"-u", "1000:50", "ctr", "sh", "-c", "id -u; id -g"}, stdout: "1000\n50\n"},
				{name: "stdin", stdin: "through stdin\n", args: []string{"-i", "ctr", "cat"}, stdout: "through stdin\n"},
			}
			for _, tc := range tests {
				args := append([]string{"exec"}, tc.args...)
				if len(tc.args) == 0 || !strings.HasPrefix(tc.args[0], "-") {
					args = append([]string{"exec", "ctr"}, tc.args...)
				}
				r := c.Run(tc.stdin, args...)
				if tc.name == "env" {
					// HOSTNAME is the container's, HOME root's.
					if f := strings.Fields(r.Stdout); r.ExitCode != 0 || len(f) != 3 || f[0] != "1" || f[1] != "y" || !strings.HasSuffix(f[2], "/root") {
						t.Errorf("%s: %s", tc.name, r)
					}
					continue
				}
				if r.ExitCode != tc.code || (tc.stderrHas == "" && (r.Stdout != tc.stdout || r.Stderr != tc.stderr)) {
					t.Errorf("%s: %v = %s; want exit %d, stdout %q, stderr %q", tc.name, args, r, tc.code, tc.stdout, tc.stderr)
				}
				if tc.stderrHas != "" && !strings.Contains(r.Stdout+r.Stderr, tc.stderrHas) {
					t.Errorf("%s: %v = %s; want %q in the output", tc.name, args, r, tc.stderrHas)
				}
			}
		})
	}
}

func TestExecDetachedAndInspect(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr")
	ctx := context.Background()

	res, err := d.Client.ExecCreate(ctx, "ctr", client.ExecCreateOptions{Cmd: []string{"sh", "-c", "sleep 1; exit 7"}})
	if err != nil {
		t.Fatalf("ExecCreate() = %v", err)
	}
	st, err := d.Client.ExecInspect(ctx, res.ID, client.ExecInspectOptions{})
	if err != nil || st.Running || st.ContainerID == "" {
		t.Errorf("ExecInspect() before start = %+v, %v", st, err)
	}
	if _, err := d.Client.ExecStart(ctx, res.ID, client.ExecStartOptions{Detach: true}); err != nil {
		t.Fatalf("ExecStart(detach) = %v", err)
	}
	st, err = d.Client.ExecInspect(ctx, res.ID, client.ExecInspectOptions{})
	if err != nil || !st.Running || st.PID <= 0 {
		t.Errorf("ExecInspect() while running = %+v, %v; want running with a pid", st, err)
	}
	if r := d.Tug("inspect", "--format", "{{json .ExecIDs}}", "ctr"); !strings.Contains(r.Stdout, res.ID) {
		t.Errorf("container ExecIDs = %s; want %s in it", r.Stdout, res.ID)
	}
	testutil.Eventually(t, 15*time.Second, func() bool {
		st, err = d.Client.ExecInspect(ctx, res.ID, client.ExecInspectOptions{})
		return err == nil && !st.Running
	})
	if st.ExitCode != 7 {
		t.Errorf("ExecInspect() after exit = %+v; want exit code 7", st)
	}
	if r := d.Tug("inspect", "--format", "{{json .ExecIDs}}", "ctr"); strings.Contains(r.Stdout, res.ID) {
		t.Errorf("container ExecIDs after the exec ended = %s", r.Stdout)
	}
	if _, err := d.Client.ExecStart(ctx, res.ID, client.ExecStartOptions{Detach: true}); err == nil {
		t.Errorf("second ExecStart() = nil, want a conflict")
	}

	// tug exec -d returns at once; the process runs on.
	if r := d.Tug("exec", "-d", "ctr", "sh", "-c", "echo bg > /tmp/bg"); r.ExitCode != 0 || r.Stdout != "" {
		t.Errorf("exec -d: %s", r)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		return d.Tug("exec", "ctr", "cat", "/tmp/bg").Stdout == "bg\n"
	})
}

func TestExecStopped(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("create", "--name", "created", "busybox", "true"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("run", "--name", "exited", "busybox", "true"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	for _, c := range d.CLIs() {
		for _, name := range []string{"created", "exited"} {
			r := c.Run("", "exec", name, "true")
			if r.ExitCode == 0 || !strings.Contains(r.Stderr, "is not running") {
				t.Errorf("%s exec %s: %s; want a not-running error", c.Name, name, r)
			}
		}
		if r := c.Run("", "exec", "missing", "true"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "No such container: missing") {
			t.Errorf("%s exec missing: %s", c.Name, r)
		}
	}
}

// Execs go through the shim: they work after tugd was killed and
// restarted, and die with their container.
func TestExecAfterRestart(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr")
	ctx := context.Background()
	res, err := d.Client.ExecCreate(ctx, "ctr", client.ExecCreateOptions{Cmd: []string{"sleep", "1000"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.ExecStart(ctx, res.ID, client.ExecStartOptions{Detach: true}); err != nil {
		t.Fatal(err)
	}
	st, err := d.Client.ExecInspect(ctx, res.ID, client.ExecInspectOptions{})
	if err != nil || st.PID <= 0 {
		t.Fatalf("ExecInspect() = %+v, %v", st, err)
	}
	d.Kill()
	d.Start()
	if r := d.Tug("exec", "ctr", "sh", "-c", "echo after restart; exit 4"); r.ExitCode != 4 || r.Stdout != "after restart\n" {
		t.Errorf("exec after restart: %s", r)
	}
	if r := d.Docker("exec", "ctr", "echo", "docker"); r.ExitCode != 0 || r.Stdout != "docker\n" {
		t.Errorf("docker exec after restart: %s", r)
	}
	if r := d.Tug("kill", "ctr"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	// The exec started before the restart died with its container.
	alive := func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", st.PID))
		return err == nil && strings.HasPrefix(string(b), "sleep\x001000")
	}
	if !testutil.WaitFor(5*time.Second, func() bool { return !alive() }) {
		t.Errorf("exec process %d outlived its container by 5s", st.PID)
	}
}

func TestExecTTY(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr")
	for _, c := range d.CLIs() {
		t.Run(c.Name, func(t *testing.T) {
			out, code := testutil.RunPTY(t, c.Cmd("exec", "-it", "ctr", "tty"))
			if code != 0 || !strings.Contains(out, "/dev/pts/") {
				t.Errorf("exec -it tty: exit %d, terminal %q", code, out)
			}
			out, code = testutil.RunPTY(t, c.Cmd("exec", "-it", "ctr", "stty", "size"))
			if code != 0 || !strings.Contains(out, "30 100") {
				t.Errorf("exec -it stty size: exit %d, terminal %q, want 30 100", code, out)
			}
			// An interactive shell: the size follows the terminal's (the
			// resize reaches the container after a moment: stty is run
			// until it has), the exit status is the shell's.
			out, code = testutil.RunPTY(t, c.Cmd("exec", "-it", "ctr", "sh"),
				testutil.PTYStep{Input: "echo in-shell-$((6*7))\r"},
				testutil.PTYStep{Wait: "in-shell-42", Resize: &pty.Winsize{Rows: 40, Cols: 120}, Input: "stty size\r", Until: "40 120"},
				testutil.PTYStep{Input: "exit 5\r"})
			if code != 5 || !strings.Contains(out, "in-shell-42") || !strings.Contains(out, "40 120") {
				t.Errorf("exec -it sh: exit %d, terminal %q; want 5, in-shell-42 and 40 120", code, out)
			}
		})
	}
}
