package archive

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// Router serves the archive and changes routes.
type Router struct {
	backend Backend
}

// New returns the archive router over b.
func New(b Backend) *Router { return &Router{backend: b} }

// Routes is the archive route table.
func (rt *Router) Routes() []server.Route {
	return []server.Route{
		{Method: http.MethodHead, Path: "/containers/{name:.*}/archive", Handler: rt.headArchive},
		{Method: http.MethodGet, Path: "/containers/{name:.*}/archive", Handler: rt.getArchive, Stream: true},
		{Method: http.MethodPut, Path: "/containers/{name:.*}/archive", Handler: rt.putArchive, Stream: true},
		{Method: http.MethodGet, Path: "/containers/{name:.*}/changes", Handler: rt.getChanges},
	}
}

const statHeader = "X-Docker-Container-Path-Stat"

func setStatHeader(w http.ResponseWriter, st *container.PathStat) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	w.Header().Set(statHeader, base64.StdEncoding.EncodeToString(b))
	return nil
}

func pathParam(r *http.Request) (string, error) {
	p := r.Form.Get("path")
	if p == "" {
		return "", errdefs.InvalidParameter("bad parameter: path cannot be empty")
	}
	return p, nil
}

func (rt *Router) headArchive(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	p, err := pathParam(r)
	if err != nil {
		return err
	}
	st, err := rt.backend.ContainerStatPath(ctx, vars["name"], p)
	if err != nil {
		return err
	}
	if err := setStatHeader(w, st); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (rt *Router) getArchive(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	p, err := pathParam(r)
	if err != nil {
		return err
	}
	var wf *server.WriteFlusher
	out := func(st *container.PathStat) io.Writer {
		_ = setStatHeader(w, st)
		w.Header().Set("Content-Type", "application/x-tar")
		w.WriteHeader(http.StatusOK)
		wf = server.NewWriteFlusher(w, false)
		return wf
	}
	err = rt.backend.ContainerArchivePath(ctx, vars["name"], p, out)
	if wf == nil {
		return err // nothing sent yet: a normal error response
	}
	if err != nil {
		server.Logger(ctx).DebugContext(ctx, "archive ended", "container", vars["name"], "path", p, "err", err)
	}
	return nil
}

func (rt *Router) putArchive(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	p, err := pathParam(r)
	if err != nil {
		return err
	}
	opts := backend.ContainerExtractOptions{
		NoOverwriteDirNonDir: server.BoolValue(r, "noOverwriteDirNonDir"),
		CopyUIDGID:           server.BoolValue(r, "copyUIDGID"),
	}
	if err := rt.backend.ContainerExtractToDir(ctx, vars["name"], p, opts, r.Body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (rt *Router) getChanges(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	changes, err := rt.backend.ContainerChanges(ctx, vars["name"])
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []container.FilesystemChange{}
	}
	return server.WriteJSON(w, http.StatusOK, changes)
}
