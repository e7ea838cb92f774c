package testcontainers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// image is the local busybox image the set-up imported into tugd.
func image(t *testing.T) string {
	t.Helper()
	img := os.Getenv("TUG_TC_IMAGE")
	if img == "" || os.Getenv("DOCKER_HOST") == "" {
		t.Skip("run through scripts/testcontainers.sh (make test does): it starts tugd and sets DOCKER_HOST and TUG_TC_IMAGE")
	}
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") != "true" {
		t.Fatal("TESTCONTAINERS_RYUK_DISABLED=true is expected: the ryuk image is not reachable (see doc.go)")
	}
	return img
}

var yes = true

// web is a busybox httpd on 8080 serving /www, announcing itself on stdout.
func web(t *testing.T, ctx context.Context, opts ...testcontainers.ContainerCustomizer) *testcontainers.DockerContainer {
	t.Helper()
	opts = append([]testcontainers.ContainerCustomizer{
		testcontainers.WithCmd("sh", "-c", "mkdir -p /www && echo hello from tugd >/www/index.html && echo server ready && exec httpd -f -p 8080 -h /www"),
		testcontainers.WithExposedPorts("8080/tcp"),
		// docker-init as pid 1 passes Terminate's SIGTERM on to httpd,
		// which pid 1 itself would ignore for the whole stop timeout.
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.Init = &yes }),
	}, opts...)
	c, err := testcontainers.Run(ctx, image(t), opts...)
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return c
}

func TestWaitStrategiesLogPortAndHTTP(t *testing.T) {
	ctx := context.Background()
	c := web(t, ctx, testcontainers.WithWaitStrategyAndDeadline(30*time.Second,
		wait.ForLog("server ready"),
		wait.ForListeningPort("8080/tcp"),
		wait.ForHTTP("/").WithPort("8080/tcp").WithResponseMatcher(func(body io.Reader) bool {
			b, _ := io.ReadAll(body)
			return string(b) == "hello from tugd\n"
		}),
	))
	endpoint, err := c.PortEndpoint(ctx, "8080/tcp", "http")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(endpoint + "/")
	if err != nil {
		t.Fatalf("GET %s: %v", endpoint, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello from tugd\n" {
		t.Errorf("GET %s = %q", endpoint, b)
	}
	state, err := c.State(ctx)
	if err != nil || !state.Running {
		t.Errorf("State() = %+v, %v; want running", state, err)
	}
}

func TestExecAndCopyInAndOut(t *testing.T) {
	ctx := context.Background()
	c := web(t, ctx, testcontainers.WithWaitStrategy(wait.ForLog("server ready")))

	code, out, err := c.Exec(ctx, []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, tcexec.Multiplexed())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out)
	if code != 3 || string(b) != "out\nerr\n" {
		t.Errorf("Exec = %d %q, want 3 \"out\\nerr\\n\"", code, b)
	}

	content := []byte("copied in by testcontainers\n")
	if err := c.CopyToContainer(ctx, content, "/www/copied.txt", 0o640); err != nil {
		t.Fatalf("CopyToContainer: %v", err)
	}
	code, out, err = c.Exec(ctx, []string{"stat", "-c", "%a %s", "/www/copied.txt"}, tcexec.Multiplexed())
	b, _ = io.ReadAll(out)
	if err != nil || code != 0 || strings.TrimSpace(string(b)) != "640 28" {
		t.Errorf("stat of the copied file = %d %q %v, want 640 28", code, b, err)
	}
	rc, err := c.CopyFileFromContainer(ctx, "/www/index.html")
	if err != nil {
		t.Fatalf("CopyFileFromContainer: %v", err)
	}
	b, _ = io.ReadAll(rc)
	rc.Close()
	if string(b) != "hello from tugd\n" {
		t.Errorf("CopyFileFromContainer = %q", b)
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/up.txt", []byte("from a host file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.CopyFileToContainer(ctx, dir+"/up.txt", "/tmp/up.txt", 0o644); err != nil {
		t.Fatalf("CopyFileToContainer: %v", err)
	}
	rc, err = c.CopyFileFromContainer(ctx, "/tmp/up.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(b, []byte("from a host file")) {
		t.Errorf("round trip of a host file = %q", b)
	}
}

func TestNetworkSharedByTwoContainers(t *testing.T) {
	ctx := context.Background()
	nw, err := network.New(ctx)
	if err != nil {
		t.Fatalf("network.New: %v", err)
	}
	testcontainers.CleanupNetwork(t, nw)
	web(t, ctx, network.WithNetwork([]string{"webserver"}, nw), testcontainers.WithWaitStrategy(wait.ForListeningPort("8080/tcp")))

	c, err := testcontainers.Run(ctx, image(t),
		testcontainers.WithCmd("sh", "-c", "timeout 5 wget -q -O - http://webserver:8080/ && echo fetched"),
		network.WithNetwork(nil, nw),
		testcontainers.WithWaitStrategy(wait.ForExit().WithExitTimeout(20*time.Second)))
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		t.Fatalf("Run client: %v", err)
	}
	logs, err := c.Logs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(logs)
	if string(b) != "hello from tugd\nfetched\n" {
		t.Errorf("client on the shared network printed %q", b)
	}
}

func TestTerminateRemovesTheContainer(t *testing.T) {
	ctx := context.Background()
	c := web(t, ctx, testcontainers.WithWaitStrategy(wait.ForLog("server ready")))
	id := c.GetContainerID()
	if err := c.Terminate(ctx); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	cl, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err == nil {
		t.Errorf("container %s still there after Terminate", id)
	}
}
