package container

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// TestDockerCLI drives the same scenarios through the stock docker CLI
// pointed at tugd.
func TestDockerCLI(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Docker("version", "--format", "{{.Server.APIVersion}}"); r.ExitCode != 0 {
		t.Fatalf("docker version: %s", r)
	}
	if r := d.Docker("run", "--rm", "busybox", "echo", "hi"); r.ExitCode != 0 || r.Stdout != "hi\n" {
		t.Errorf("docker run echo: %s", r)
	}
	if r := d.Docker("run", "--rm", "busybox", "sh", "-c", "exit 3"); r.ExitCode != 3 {
		t.Errorf("docker run exit 3: %s", r)
	}
	if r := d.Docker("run", "--rm", "busybox", "nosuchcmd"); r.ExitCode != 127 {
		t.Errorf("docker run nosuchcmd: %s", r)
	}
	r := d.Docker("run", "-d", "--name", "web", "busybox", "sleep", "1000")
	id := strings.TrimSpace(r.Stdout)
	if r.ExitCode != 0 || !hexID.MatchString(id) {
		t.Fatalf("docker run -d: %s", r)
	}
	if r := d.Docker("ps", "--format", "{{.ID}} {{.Names}} {{.Command}}"); strings.TrimSpace(r.Stdout) != id[:12]+` web "sleep 1000"` {
		t.Errorf("docker ps = %q", r.Stdout)
	}
	if r := d.Docker("inspect", "-f", "{{.State.Running}}", "web"); strings.TrimSpace(r.Stdout) != "true" {
		t.Errorf("docker inspect = %s", r)
	}
	if r := d.Docker("stop", "-t", "1", "web"); r.ExitCode != 0 {
		t.Errorf("docker stop: %s", r)
	}
	if r := d.Docker("logs", "web"); r.ExitCode != 0 {
		t.Errorf("docker logs: %s", r)
	}
	if r := d.Docker("rm", "web"); r.ExitCode != 0 {
		t.Errorf("docker rm: %s", r)
	}
	if r := d.Docker("images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(r.Stdout, "busybox:latest") {
		t.Errorf("docker images: %s", r)
	}
	if r := d.Docker("rm", "nosuch"); r.ExitCode != 1 || !strings.Contains(r.Stderr, "No such container: nosuch") {
		t.Errorf("docker rm nosuch: %s", r)
	}
}
