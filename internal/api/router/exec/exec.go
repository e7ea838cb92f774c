package exec

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/common"
	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
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
	if !req.Tty {
		req.ConsoleSize = nil // no console without a TTY, as Docker
	}
	sess, ctx := server.NewStreamSession(ctx, w, r)
	opts := backend.ExecStartOptions{Detach: req.Detach, Tty: req.Tty, ConsoleSize: req.ConsoleSize, StartFailureIs126: server.VersionBefore(ctx, "1.46")}
	if !req.Detach {
		opts.GetStreams = sess.GetStreams
	}
	err := rt.backend.ContainerExecStart(ctx, vars["name"], opts)
	if !sess.Hijacked() && err == nil {
		w.WriteHeader(http.StatusOK) // a detached start
	}
	return sess.Close(err, "exec "+vars["name"])
}

func (rt *Router) postExecResize(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	h, wd, err := server.TTYSize(r)
	if err != nil {
		return err
	}
	if err := rt.backend.ContainerExecResize(ctx, vars["name"], h, wd); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (rt *Router) getExecJSON(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	resp, err := rt.backend.ContainerExecInspect(ctx, vars["name"])
	if err != nil {
		return err
	}
	if resp.DetachKeys == nil {
		resp.DetachKeys = []byte{} // Docker's "" (the field is bytes)
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
