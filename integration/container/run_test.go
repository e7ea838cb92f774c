package container

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestHelloWorld(t *testing.T) {
	d := testutil.StartDaemon(t)
	r := d.Tug("run", "--rm", "hello-world")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "Hello from tug!") {
		t.Fatalf("tug run hello-world: %s", r)
	}
}

func TestRunBasics(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("# comment\nFROM_FILE=yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		out  string
		code int
	}{
		{"echo", []string{"busybox", "echo", "hi"}, "hi\n", 0},
		{"exit code", []string{"busybox", "sh", "-c", "exit 3"}, "", 3},
		{"env", []string{"-e", "A=1", "--env", "B=two", "busybox", "sh", "-c", "echo $A$B"}, "1two\n", 0},
		{"env file", []string{"--env-file", envFile, "busybox", "sh", "-c", "echo $FROM_FILE"}, "yes\n", 0},
		{"workdir", []string{"-w", "/tmp/work", "busybox", "pwd"}, "/tmp/work\n", 0},
		{"user uid:gid", []string{"-u", "1000:50", "busybox", "id"}, "uid=1000(tester) gid=50(staff)", 0},
		{"user name", []string{"-u", "nobody", "busybox", "id", "-u"}, "65534\n", 0},
		{"entrypoint", []string{"--entrypoint", "echo", "busybox", "from", "entrypoint"}, "from entrypoint\n", 0},
		{"hostname", []string{"--hostname", "box1", "busybox", "hostname"}, "box1\n", 0},
		{"network none", []string{"--network", "none", "busybox", "sh", "-c", "ls /sys/class/net | tr '\\n' ' '"}, "lo ", 0},
		{"pid 1", []string{"busybox", "sh", "-c", "echo $$"}, "1\n", 0},
		{"not found", []string{"busybox", "nosuchcmd"}, "", 127},
		{"not executable", []string{"busybox", "/etc/passwd"}, "", 126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := d.Tug(append([]string{"run", "--rm"}, tt.args...)...)
			if r.ExitCode != tt.code {
				t.Fatalf("exit = %d, want %d: %s", r.ExitCode, tt.code, r)
			}
			if !strings.HasPrefix(r.Stdout, tt.out) {
				t.Errorf("stdout = %q, want prefix %q", r.Stdout, tt.out)
			}
		})
	}
	if r := d.Tug("ps", "-aq"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("--rm left containers: %q", r.Stdout)
	}
}

func TestRunStdin(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	r := d.TugIn("hello stdin\n", "run", "--rm", "-i", "busybox", "cat")
	if r.ExitCode != 0 || r.Stdout != "hello stdin\n" {
		t.Fatalf("run -i cat: %s", r)
	}
	r = d.TugIn("ignored\n", "run", "--rm", "busybox", "sh", "-c", "cat; echo done")
	if r.ExitCode != 0 || r.Stdout != "done\n" {
		t.Fatalf("run without -i must not pass stdin: %s", r)
	}
}

func TestRunErrors(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	r := d.Tug("run", "nosuchimage")
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, "Unable to find image 'nosuchimage:latest' locally") {
		t.Errorf("run unknown image: %s", r)
	}
	r = d.Tug("run", "--env-file", "/nonexistent", "busybox", "true")
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, "/nonexistent") {
		t.Errorf("run with missing env-file: %s", r)
	}
	r = d.Tug("run", "--name", "-bad", "busybox", "true")
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, "Invalid container name") {
		t.Errorf("run with invalid name: %s", r)
	}
	if r := d.Tug("create", "--name", "dup", "busybox", "true"); r.ExitCode != 0 {
		t.Fatalf("create: %s", r)
	}
	r = d.Tug("create", "--name", "dup", "busybox", "true")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, `The container name "/dup" is already in use`) {
		t.Errorf("duplicate name: %s", r)
	}
	r = d.Tug("rm", "nosuch")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "No such container: nosuch") {
		t.Errorf("rm nosuch: %s", r)
	}
	// Nothing was left behind by the failed runs: only "dup" exists.
	r = d.Tug("ps", "-a", "--format", "{{.Names}}")
	if strings.TrimSpace(r.Stdout) != "dup" {
		t.Errorf("containers after failures = %q, want only dup", r.Stdout)
	}
}

func TestDetachedLifecycle(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	r := d.Tug("run", "-d", "--name", "sleeper", "-l", "tier=test", "busybox", "sleep", "1000")
	id := strings.TrimSpace(r.Stdout)
	if r.ExitCode != 0 || !hexID.MatchString(id) {
		t.Fatalf("run -d: %s", r)
	}
	r = d.Tug("ps")
	header := strings.Fields(strings.SplitN(r.Stdout, "\n", 2)[0])
	if strings.Join(header, " ") != "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES" || !strings.Contains(r.Stdout, id[:12]) ||
		!strings.Contains(r.Stdout, `"sleep 1000"`) || !strings.Contains(r.Stdout, "Up ") || !strings.Contains(r.Stdout, "sleeper") {
		t.Errorf("ps:\n%s", r.Stdout)
	}
	for _, f := range []string{"name=sleep", "id=" + id[:5], "status=running", "label=tier=test", "ancestor=busybox"} {
		if r := d.Tug("ps", "-q", "--filter", f); strings.TrimSpace(r.Stdout) != id[:12] {
			t.Errorf("ps --filter %s = %q, want %s", f, r.Stdout, id[:12])
		}
	}
	if r := d.Tug("ps", "-q", "--filter", "status=exited"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("ps --filter status=exited = %q, want none", r.Stdout)
	}
	r = d.Tug("inspect", "--format", "{{.State.Status}} {{.Config.Labels.tier}} {{.Name}}", "sleeper")
	if strings.TrimSpace(r.Stdout) != "running test /sleeper" {
		t.Errorf("inspect --format = %q", r.Stdout)
	}
	r = d.Tug("rm", "sleeper")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "container is running") {
		t.Errorf("rm running without -f: %s", r)
	}
	if r := d.Tug("stop", "-t", "1", "sleeper"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "sleeper" {
		t.Errorf("stop: %s", r)
	}
	r = d.Tug("ps", "-a", "--format", "{{.Status}}")
	if !strings.HasPrefix(r.Stdout, "Exited (137)") && !strings.HasPrefix(r.Stdout, "Exited (143)") {
		t.Errorf("status after stop = %q", r.Stdout)
	}
	if r := d.Tug("start", "sleeper"); r.ExitCode != 0 {
		t.Errorf("start: %s", r)
	}
	if r := d.Tug("kill", "sleeper"); r.ExitCode != 0 {
		t.Errorf("kill: %s", r)
	}
	if r := d.Tug("wait", "sleeper"); strings.TrimSpace(r.Stdout) != "137" {
		t.Errorf("wait after kill = %s", r)
	}
	if r := d.Tug("rename", "sleeper", "renamed"); r.ExitCode != 0 {
		t.Errorf("rename: %s", r)
	}
	if r := d.Tug("rm", "renamed"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "renamed" {
		t.Errorf("rm: %s", r)
	}
}
