package container

import (
	"os"
	"path/filepath"
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

// TestDockerCLIImageAndLifecycle: import, tag, save, load, rmi and the
// container lifecycle (create, start, rename, wait, restart, kill, ps,
// info, logs, rm) through the stock docker CLI.
func TestDockerCLIImageAndLifecycle(t *testing.T) {
	d := testutil.StartDaemon(t)
	tarPath := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(tarPath, testutil.BusyboxTar(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := d.Docker("import", "-c", "CMD [\"sh\"]", tarPath, "dbox:1"); r.ExitCode != 0 {
		t.Fatalf("docker import: %s", r)
	}
	if r := d.Docker("tag", "dbox:1", "dbox:2"); r.ExitCode != 0 {
		t.Fatalf("docker tag: %s", r)
	}
	saved := filepath.Join(t.TempDir(), "saved.tar")
	if r := d.Docker("save", "-o", saved, "dbox:1"); r.ExitCode != 0 {
		t.Fatalf("docker save: %s", r)
	}
	if r := d.Docker("rmi", "dbox:1", "dbox:2"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Deleted:") {
		t.Fatalf("docker rmi: %s", r)
	}
	if r := d.Docker("load", "-i", saved); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Loaded image: dbox:1") {
		t.Fatalf("docker load: %s", r)
	}
	if r := d.Docker("create", "--name", "c1", "-e", "X=1", "dbox:1", "sh", "-c", "echo $X; exit 5"); r.ExitCode != 0 {
		t.Fatalf("docker create: %s", r)
	}
	if r := d.Docker("start", "-a", "c1"); r.ExitCode != 5 || r.Stdout != "1\n" {
		t.Errorf("docker start -a: %s", r)
	}
	if r := d.Docker("rename", "c1", "c2"); r.ExitCode != 0 {
		t.Errorf("docker rename: %s", r)
	}
	if r := d.Docker("wait", "c2"); strings.TrimSpace(r.Stdout) != "5" {
		t.Errorf("docker wait: %s", r)
	}
	d.Docker("run", "-d", "--name", "sl", "dbox:1", "sleep", "1000")
	if r := d.Docker("restart", "-t", "0", "sl"); r.ExitCode != 0 {
		t.Errorf("docker restart: %s", r)
	}
	if r := d.Docker("kill", "-s", "KILL", "sl"); r.ExitCode != 0 {
		t.Errorf("docker kill: %s", r)
	}
	if r := d.Docker("wait", "sl"); strings.TrimSpace(r.Stdout) != "137" {
		t.Errorf("docker wait after kill: %s", r)
	}
	if r := d.Docker("ps", "-a", "--filter", "exited=137", "--format", "{{.Names}}"); strings.TrimSpace(r.Stdout) != "sl" {
		t.Errorf("docker ps --filter exited=137: %s", r)
	}
	if r := d.Docker("info", "--format", "{{.Containers}} {{.ContainersStopped}}"); strings.TrimSpace(r.Stdout) != "2 2" {
		t.Errorf("docker info: %s", r)
	}
	r := d.Docker("run", "--name", "lg", "dbox:1", "sh", "-c", "echo out; sleep 0.2; echo err >&2")
	if r.Stdout != "out\n" || r.Stderr != "err\n" {
		t.Errorf("docker run streams: %s", r)
	}
	if r := d.Docker("logs", "--tail", "1", "lg"); r.Stderr != "err\n" {
		t.Errorf("docker logs --tail 1: %s", r)
	}
	if r := d.Docker("rm", "-f", "c2", "sl", "lg"); r.ExitCode != 0 {
		t.Errorf("docker rm -f: %s", r)
	}
}
