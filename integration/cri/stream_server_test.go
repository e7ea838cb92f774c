package cri

import (
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/testutil"
)

// The streaming server listens on 127.0.0.1 (a port the kernel picks) while
// the CRI serves, and goes with it: a stop of tugd closes its port and
// ends the open sessions, whose exec'd processes are killed; after a
// restart the sessions go through a new port.
func TestStreamServerStopsWithTugd(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podConfig("srv")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "app", "sleep 1000")
	c.startContainer(id)

	resp, err := c.Runtime.Exec(ctxT(t), &runtimeapi.ExecRequest{ContainerId: id, Cmd: []string{"true"}, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(resp.Url)
	if err != nil || u.Hostname() != "127.0.0.1" || u.Port() == "0" {
		t.Fatalf("Exec URL %q: want one on 127.0.0.1 and the port picked", resp.Url)
	}

	session := c.CrictlCmd("exec", id, "sleep", "1001")
	if err := session.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() { _ = session.Wait(); close(ended) }()
	t.Cleanup(func() { _ = session.Process.Kill(); <-ended })
	sleeping := func() bool {
		return strings.Contains(c.Crictl("exec", "-s", id, "ps").Stdout, "sleep 1001")
	}
	if !testutil.WaitFor(10*time.Second, sleeping) {
		t.Fatalf("the exec session's process does not run\n%s", c.Log())
	}

	c.Stop()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("crictl's exec session outlived tugd")
	}
	if conn, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		conn.Close()
		t.Errorf("the streaming server's port %s still answers after tugd stopped", u.Host)
	}

	c.Start()
	c.waitCRI()
	if sleeping() {
		t.Errorf("the exec'd process outlived its session: %s", c.Crictl("exec", "-s", id, "ps"))
	}
	if r := c.Crictl("exec", id, "echo", "after-restart"); r.ExitCode != 0 || r.Stdout != "after-restart\n" {
		t.Errorf("crictl exec after the restart: %s", r)
	}
}

// --cri-stream-address puts the streaming server elsewhere (here another
// loopback address, the port still picked by the kernel).
func TestStreamServerAddressFlag(t *testing.T) {
	c := startCRIWith(t, "--cri-stream-address", "127.0.0.2:0")
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podConfig("addr")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "app", "sleep 1000")
	c.startContainer(id)
	resp, err := c.Runtime.Exec(ctxT(t), &runtimeapi.ExecRequest{ContainerId: id, Cmd: []string{"true"}, Stdout: true})
	if err != nil || !strings.HasPrefix(resp.Url, "http://127.0.0.2:") {
		t.Fatalf("Exec = %v, %v; want a URL on 127.0.0.2", resp, err)
	}
	if r := c.Crictl("exec", id, "echo", "via-127.0.0.2"); r.ExitCode != 0 || r.Stdout != "via-127.0.0.2\n" {
		t.Errorf("crictl exec: %s", r)
	}
}
