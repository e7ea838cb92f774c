package cri

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/testutil"
)

// crictl port-forward: a local port on 127.0.0.1 reaches a port the pod
// listens on, inside the pod's network namespace (busybox httpd in a
// container of the pod), for each connection made while it runs.
func TestStreamPortForwardReachesThePod(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podConfig("pf")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "web", `mkdir -p /www && echo hello-from-the-pod > /www/index.html && exec httpd -f -p 8080 -h /www`)
	c.startContainer(id)

	cmd := c.CrictlCmd("port-forward", podID, ":8080")
	var out testutil.SafeBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	forwarding := regexp.MustCompile(`Forwarding from 127\.0\.0\.1:(\d+) -> 8080`)
	var port string
	if !testutil.WaitFor(10*time.Second, func() bool {
		m := forwarding.FindStringSubmatch(out.String())
		if m != nil {
			port = m[1]
		}
		return m != nil
	}) {
		t.Fatalf("crictl port-forward did not start: %q\n%s", out.String(), c.Log())
	}
	url := "http://127.0.0.1:" + port + "/"
	get := func() (string, error) {
		resp, err := http.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	// httpd may still be starting: the first fetches are retried.
	var body string
	var err error
	testutil.WaitFor(10*time.Second, func() bool {
		body, err = get()
		return err == nil && body == "hello-from-the-pod\n"
	})
	if body != "hello-from-the-pod\n" {
		t.Fatalf("GET %s = %q, %v; crictl: %q\n%s", url, body, err, out.String(), c.Log())
	}
	for i := range 3 { // a connection each, through the one session
		if body, err := get(); err != nil || body != "hello-from-the-pod\n" {
			t.Errorf("GET %s again (%d) = %q, %v", url, i, body, err)
		}
	}
}

// PortForward checks the sandbox before handing out a URL: it must exist
// and be ready, and ports must be valid.
func TestStreamPortForwardRefusals(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	ctx := ctxT(t)
	_, err := c.Runtime.PortForward(ctx, &runtimeapi.PortForwardRequest{PodSandboxId: "0123456789ab", Port: []int32{80}})
	if status.Code(err) != codes.NotFound {
		t.Errorf("PortForward to a missing sandbox = %v; want NotFound", err)
	}
	podID := c.runPod(podConfig("pfno"))
	_, err = c.Runtime.PortForward(ctx, &runtimeapi.PortForwardRequest{PodSandboxId: podID, Port: []int32{70000}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "70000") {
		t.Errorf("PortForward to port 70000 = %v; want InvalidArgument naming it", err)
	}
	if _, err := c.Runtime.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: podID}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Runtime.PortForward(ctx, &runtimeapi.PortForwardRequest{PodSandboxId: podID, Port: []int32{80}})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("PortForward to a stopped sandbox = %v; want FailedPrecondition", err)
	}
}
