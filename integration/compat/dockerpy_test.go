package compat

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// sdkScript uses the Docker SDK for Python the way applications do.
const sdkScript = `
import sys, docker
c = docker.DockerClient(base_url=sys.argv[1], version="auto")
assert c.ping()
print("version", c.version()["ApiVersion"])
print("run", c.containers.run("busybox", ["echo", "hello from docker-py"], remove=True).decode().strip())
ct = c.containers.run("busybox", ["sh", "-c", "echo started; sleep 1000"], detach=True, name="pyc", labels={"via": "py"})
ct.reload()
print("status", ct.status, ct.name, ct.labels["via"])
print("list", [x.name for x in c.containers.list(filters={"label": "via=py"})])
rc, out = ct.exec_run(["sh", "-c", "echo in-exec; exit 3"])
print("exec", rc, out.decode().strip())
ct.stop(timeout=1)
ct.reload()
print("stopped", ct.status, ct.attrs["State"]["ExitCode"])
print("logs", ct.logs().decode().strip())
ct.remove()
try:
    c.containers.get("pyc")
except docker.errors.NotFound:
    print("removed")
img = c.images.get("busybox")
print("image", img.tags)
try:
    c.containers.run("busybox", ["nosuchcmd"], remove=True)
except docker.errors.APIError as e:
    print("apierror", "executable file not found" in str(e))
`

func TestDockerPy(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import docker").Run(); err != nil {
		t.Skip("Docker SDK for Python not installed (apt-get install python3-docker)")
	}
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	script := filepath.Join(t.TempDir(), "sdk.py")
	if err := os.WriteFile(script, []byte(sdkScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, script, d.Host).CombinedOutput()
	if err != nil {
		t.Fatalf("docker-py: %v\n%s", err, out)
	}
	for _, want := range []string{
		"run hello from docker-py",
		"status running pyc py",
		"list ['pyc']",
		"exec 3 in-exec",
		"stopped exited 137",
		"logs started",
		"removed",
		"image ['busybox:latest']",
		"apierror True",
	} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("docker-py output lacks %q:\n%s", want, out)
		}
	}
}
