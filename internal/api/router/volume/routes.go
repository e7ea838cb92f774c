package volume

import (
	"context"
	"errors"
	"io"
	"net/http"

	apivolume "github.com/moby/moby/api/types/volume"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// Router serves the volume routes.
type Router struct {
	backend Backend
}

// New returns the volume router over b.
func New(b Backend) *Router { return &Router{backend: b} }

// Routes is the volume route table.
func (rt *Router) Routes() []server.Route {
	return []server.Route{
		{Method: http.MethodGet, Path: "/volumes", Handler: rt.list},
		{Method: http.MethodGet, Path: "/volumes/", Handler: rt.list},
		{Method: http.MethodGet, Path: "/volumes/{name:.+}", Handler: rt.inspect},
		{Method: http.MethodPost, Path: "/volumes/create", Handler: rt.create},
		{Method: http.MethodPost, Path: "/volumes/prune", Handler: rt.prune},
		{Method: http.MethodPut, Path: "/volumes/{name:.+}", Handler: rt.update},
		{Method: http.MethodDelete, Path: "/volumes/{name:.+}", Handler: rt.remove},
	}
}

func (rt *Router) list(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := server.DecodeFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	resp, err := rt.backend.VolumeList(ctx, backend.VolumeListOptions{Filters: f})
	if err != nil {
		return err
	}
	if len(resp.Warnings) == 0 {
		resp.Warnings = nil // Docker's null
	}
	return server.WriteJSON(w, http.StatusOK, resp)
}

func (rt *Router) inspect(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	v, err := rt.backend.VolumeInspect(ctx, vars["name"])
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, v)
}

func (rt *Router) create(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var req apivolume.CreateRequest
	if err := server.ReadJSON(r, &req); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	v, err := rt.backend.VolumeCreate(ctx, req)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusCreated, v)
}

func (rt *Router) update(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
	return errdefs.InvalidParameter("volume update: only cluster volumes can be updated, and tug has no swarm mode")
}

func (rt *Router) remove(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := rt.backend.VolumeRemove(ctx, vars["name"], backend.VolumeRemoveOptions{Force: server.BoolValue(r, "force")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (rt *Router) prune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := server.DecodeFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := rt.backend.VolumePrune(ctx, backend.VolumePruneOptions{Filters: f})
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, rep)
}
