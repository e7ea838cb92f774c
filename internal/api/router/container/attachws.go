package container

import (
	"context"
	"io"
	"net/http"

	"golang.org/x/net/websocket"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
)

// getContainerAttachWS serves GET /containers/{id}/attach/ws as moby's
// wsContainersAttach does: the streams travel over a websocket, never
// multiplexed (the websocket frames carry them), as binary frames from
// API 1.28; before 1.42 stdin, stdout and stderr are always attached.
func (rt *Router) getContainerAttachWS(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	done := make(chan struct{})
	started := make(chan struct{})
	getStreams := func(bool) (io.ReadCloser, io.Writer, io.Writer, error) {
		conns := make(chan *websocket.Conn)
		srv := websocket.Server{Handler: func(c *websocket.Conn) {
			conns <- c
			<-done
		}}
		go func() {
			close(started)
			srv.ServeHTTP(w, r)
		}()
		c := <-conns
		if !server.VersionBefore(ctx, "1.28") {
			c.PayloadType = websocket.BinaryFrame
		}
		return c, c, c, nil
	}
	stdin, stdout, stderr := true, true, true
	if !server.VersionBefore(ctx, "1.42") {
		stdin, stdout, stderr = server.BoolValue(r, "stdin"), server.BoolValue(r, "stdout"), server.BoolValue(r, "stderr")
	}
	err := rt.backend.ContainerAttach(ctx, vars["name"], backend.ContainerAttachOptions{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Stream:     server.BoolValue(r, "stream"),
		Logs:       server.BoolValue(r, "logs"),
		DetachKeys: r.Form.Get("detachKeys"),
		GetStreams: getStreams,
	})
	close(done)
	select {
	case <-started:
		// The connection is the websocket's now: an error can only end it.
		if err != nil {
			server.Logger(ctx).DebugContext(ctx, "websocket attach ended", "container", vars["name"], "err", err)
		}
		return nil
	default:
		return err
	}
}
