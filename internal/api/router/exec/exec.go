package exec

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types"
	"github.com/moby/moby/api/types/common"
	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// Router serves the exec and top routes.
type Router struct {
	backend Backend
}

// New returns the exec router over b.
func New(b Backend) *Router { return &Router{backend: b} }

// Routes is the exec route table.
func (rt *Router) Routes() []server.Route {
	return []server.Route{
		{Method: http.MethodPost, Path: "/containers/{name:.*}/exec", Handler: rt.postContainerExecCreate},
		{Method: http.MethodGet, Path: "/containers/{name:.*}/top", Handler: rt.getContainerTop},
		{Method: http.MethodPost, Path: "/exec/{name:.*}/start", Handler: rt.postExecStart, Stream: true},
		{Method: http.MethodPost, Path: "/exec/{name:.*}/resize", Handler: rt.postExecResize},
		{Method: http.MethodGet, Path: "/exec/{name:.*}/json", Handler: rt.getExecJSON},
	}
}

func (rt *Router) postContainerExecCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := server.CheckForJSON(r); err != nil {
		return err
	}
	var req container.ExecCreateRequest
	if err := server.ReadJSON(r, &req); err != nil {
		if errors.Is(err, io.EOF) {
			return errdefs.InvalidParameter("No exec command specified")
		}
		return err
	}
	if len(req.Cmd) == 0 {
		return errdefs.InvalidParameter("No exec command specified")
	}
	if req.ConsoleSize != nil && !req.Tty {
		req.ConsoleSize = nil
	}
	id, err := rt.backend.ContainerExecCreate(ctx, vars["name"], &req)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusCreated, common.IDResponse{ID: id})
}

func (rt *Router) postExecStart(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := server.CheckForJSON(r); err != nil {
		return err
	}
	var req container.ExecStartRequest
	if err := server.ReadJSON(r, &req); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	// As with attach: once hijacked, the stream lives until the client
	// hangs up or the exec's output ends, whatever net/http does with the
	// request context.
	reqCtx := ctx
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var hijacked atomic.Bool
	stopBeforeHijack := context.AfterFunc(reqCtx, func() {
		if !hijacked.Load() {
			cancel()
		}
	})
	defer stopBeforeHijack()

	var conn *server.Conn
	getStreams := func(multiplex bool) (io.ReadCloser, io.Writer, io.Writer, error) {
		if conn != nil {
			return nil, nil, nil, errors.New("exec streams already taken")
		}
		contentType := types.MediaTypeRawStream
		if multiplex && r.Header.Get("Upgrade") != "" && !server.VersionBefore(ctx, "1.42") {
			contentType = types.MediaTypeMultiplexedStream
		}
		hijacked.Store(true)
		c, err := server.Hijack(ctx, w, r, contentType)
		if err != nil {
			return nil, nil, nil, err
		}
		conn = c
		go func() {
			select {
			case <-c.HungUp():
				cancel()
			case <-ctx.Done():
			}
		}()
		var stdout, stderr io.Writer = c, c
		if multiplex {
			stdout = server.NewStdWriter(c, stdcopy.Stdout)
			stderr = server.NewStdWriter(c, stdcopy.Stderr)
		}
		return stdinReader{c}, stdout, stderr, nil
	}
	opts := StartOptions{Detach: req.Detach, Tty: req.Tty, ConsoleSize: req.ConsoleSize}
	if !req.Detach {
		opts.GetStreams = getStreams
	}
	err := rt.backend.ContainerExecStart(ctx, vars["name"], opts)
	if conn == nil {
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if err != nil {
		server.Logger(ctx).DebugContext(ctx, "exec ended", "exec", vars["name"], "err", err)
	}
	return conn.Close()
}

// stdinReader is the stdin handed to the backend: closing it stops reading
// from the client but keeps the connection open for output.
type stdinReader struct{ c *server.Conn }

func (s stdinReader) Read(p []byte) (int, error) { return s.c.Read(p) }
func (s stdinReader) Close() error               { return s.c.CloseRead() }

func (rt *Router) postExecResize(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	h, err := uintValue(r, "h")
	if err != nil {
		return errdefs.InvalidParameter("invalid resize height %q: %v", r.Form.Get("h"), err)
	}
	wd, err := uintValue(r, "w")
	if err != nil {
		return errdefs.InvalidParameter("invalid resize width %q: %v", r.Form.Get("w"), err)
	}
	if err := rt.backend.ContainerExecResize(ctx, vars["name"], h, wd); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func uintValue(r *http.Request, k string) (uint, error) {
	s := strings.TrimSpace(r.Form.Get(k))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, errors.Unwrap(err)
	}
	return uint(n), nil
}

func (rt *Router) getExecJSON(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	resp, err := rt.backend.ContainerExecInspect(ctx, vars["name"])
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, resp)
}

func (rt *Router) getContainerTop(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	resp, err := rt.backend.ContainerTop(ctx, vars["name"], r.Form.Get("ps_args"))
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, resp)
}
