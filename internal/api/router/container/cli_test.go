package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	systemtypes "github.com/moby/moby/api/types/system"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/router/system"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/filters"
)

// runFake plays one container through create, attach, start and wait: the
// attached output is written once the container "starts", and it "exits"
// with status 3.
type runFake struct {
	fakeBackend
	started chan struct{}
	exited  chan struct{}
}

func (f *runFake) ContainerStart(context.Context, string) error {
	close(f.started)
	return nil
}

func (f *runFake) ContainerAttach(ctx context.Context, name string, opts backend.ContainerAttachOptions) error {
	stdin, stdout, stderr, err := opts.GetStreams(true)
	if err != nil {
		return err
	}
	defer stdin.Close()
	select {
	case <-f.started:
	case <-ctx.Done():
		return ctx.Err()
	}
	if opts.Stdin {
		data, _ := io.ReadAll(stdin)
		stdout.Write(data)
	} else {
		io.WriteString(stdout, "hi from tug\n")
	}
	io.WriteString(stderr, "to stderr\n")
	close(f.exited)
	return nil
}

func (f *runFake) ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan container.WaitResponse, error) {
	ch := make(chan container.WaitResponse, 1)
	go func() {
		select {
		case <-f.exited:
			ch <- container.WaitResponse{StatusCode: 3}
		case <-ctx.Done():
		}
	}()
	return ch, nil
}

// systemFake answers the CLI's ping and version checks.
type systemFake struct{}

func (systemFake) SystemInfo(context.Context) (*systemtypes.Info, error) {
	return &systemtypes.Info{OSType: "linux"}, nil
}

func (systemFake) SystemVersion(context.Context) systemtypes.VersionResponse {
	return systemtypes.VersionResponse{Version: "0.1.0", Os: "linux", Arch: "amd64"}
}

func (systemFake) SubscribeEvents(context.Context, time.Time, time.Time, filters.Args) ([]events.Message, <-chan events.Message, func()) {
	return nil, nil, func() {}
}

// TestDockerCLIRun runs `docker run` of the installed docker CLIs against
// the router: create, attach (hijacked, multiplexed), wait (header first),
// start, and the exit status.
func TestDockerCLIRun(t *testing.T) {
	for _, bin := range []string{"/usr/local/bin/docker", "/usr/bin/docker"} {
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		for _, interactive := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/interactive=%v", bin, interactive), func(t *testing.T) {
				testDockerRun(t, bin, interactive)
			})
		}
	}
}

func testDockerRun(t *testing.T, bin string, interactive bool) {
	f := &runFake{started: make(chan struct{}), exited: make(chan struct{})}
	sock := filepath.Join(t.TempDir(), "tug.sock")
	l, err := server.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	s := server.New(server.Config{Logger: slog.New(slog.DiscardHandler)}, New(f), system.New(systemFake{}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	defer func() { cancel(); <-done }()

	cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer ccancel()
	cmd := exec.CommandContext(cctx, bin, "run", "--name", "web", "busybox", "echo", "hi")
	want := "hi from tug\n"
	if interactive {
		want = "data from stdin\n"
		cmd = exec.CommandContext(cctx, bin, "run", "-i", "--name", "web", "busybox", "cat")
		cmd.Stdin = strings.NewReader(want)
	}
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+t.TempDir(), "DOCKER_CONTEXT=")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("docker run = %v, want exit status 3\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	if stdout.String() != want || stderr.String() != "to stderr\n" {
		t.Errorf("docker run stdout %q stderr %q", stdout.String(), stderr.String())
	}
	if f.name != "web" || f.created == nil || f.created.Image != "busybox" {
		t.Errorf("backend create name %q req %+v", f.name, f.created)
	}
}

// TestDockerPy drives the router with the Docker SDK for Python, when installed.
func TestDockerPy(t *testing.T) {
	if err := exec.Command("python3", "-c", "import docker").Run(); err != nil {
		t.Skip("docker SDK for Python not installed")
	}
	b := &fakeBackend{}
	_, sock := start(t, b)
	script := `
import sys, docker
c = docker.APIClient(base_url="unix://" + sys.argv[1], version="1.41")
r = c.create_container("busybox", command=["true"], name="py")
assert r["Id"] == "c0ffee", r
ls = c.containers(all=True, filters={"status": "running"})
assert ls[0]["Id"] == "c0ffee", ls
w = c.wait("py")
assert w["StatusCode"] == 42, w
logs = c.logs("py", stdout=True, stderr=False)
assert logs == b"line 1\noops\nline 2\n" or logs == b"line 1\nline 2\n", logs
try:
    c.inspect_container("missing")
    raise SystemExit("inspect missing: no error")
except docker.errors.NotFound as e:
    assert "No such container: missing" in str(e), e
print("ok")
`
	out, err := exec.Command("python3", "-c", script, sock).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("docker-py: %v\n%s", err, out)
	}
	if b.name != "py" || b.listOpts.Filters["status"][0] != "running" {
		t.Errorf("backend create name %q list filters %v", b.name, b.listOpts.Filters)
	}
}
