package container

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/tug-project/tug/internal/testutil"
)

// TestAttachOverWebsocket: GET /containers/{id}/attach/ws upgrades to a
// websocket that carries stdin to the container and its output back,
// unframed (moby's wsContainersAttach), in binary frames.
func TestAttachOverWebsocket(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("run", "-d", "-i", "--name", "ws", "busybox", "sh", "-c", "echo ready; while read l; do echo got-$l; done"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	// "ready" must be in the log before attaching, or it is neither in the
	// logs part nor in the live stream.
	testutil.Eventually(t, 10*time.Second, func() bool { return strings.Contains(d.Tug("logs", "ws").Stdout, "ready") })
	conn, err := net.Dial("unix", d.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cfg, err := websocket.NewConfig("ws://tug/containers/ws/attach/ws?stream=1&stdin=1&stdout=1&stderr=1&logs=1", "http://localhost")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := websocket.NewClient(cfg, conn)
	if err != nil {
		t.Fatalf("websocket handshake: %v", err)
	}
	defer ws.Close()
	if _, err := ws.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got strings.Builder
	for !strings.Contains(got.String(), "got-hello\n") {
		var msg []byte
		if err := websocket.Message.Receive(ws, &msg); err != nil {
			if err == io.EOF {
				break
			}
			t.Fatalf("receive: %v (so far %q)", err, got.String())
		}
		got.Write(msg)
	}
	if out := got.String(); !strings.HasPrefix(out, "ready\n") || !strings.Contains(out, "got-hello\n") {
		t.Errorf("websocket output = %q, want ready (the log) then got-hello, unframed", out)
	}
}
