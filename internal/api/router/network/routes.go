package network

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// Router serves the network routes.
type Router struct {
	backend Backend
}

// New returns the network router over b.
func New(b Backend) *Router { return &Router{backend: b} }

// Routes is the network route table.
func (rt *Router) Routes() []server.Route {
	return []server.Route{
		{Method: http.MethodGet, Path: "/networks", Handler: rt.list},
		{Method: http.MethodGet, Path: "/networks/", Handler: rt.list},
		{Method: http.MethodGet, Path: "/networks/{id:.+}", Handler: rt.inspect},
		{Method: http.MethodPost, Path: "/networks/create", Handler: rt.create},
		{Method: http.MethodPost, Path: "/networks/prune", Handler: rt.prune},
		{Method: http.MethodPost, Path: "/networks/{id:.+}/connect", Handler: rt.connect},
		{Method: http.MethodPost, Path: "/networks/{id:.+}/disconnect", Handler: rt.disconnect},
		{Method: http.MethodDelete, Path: "/networks/{id:.+}", Handler: rt.remove},
	}
}

func (rt *Router) list(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := server.DecodeFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	list, err := rt.backend.NetworkList(ctx, f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []network.Summary{}
	}
	return server.WriteJSON(w, http.StatusOK, list)
}

func (rt *Router) inspect(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	n, err := rt.backend.NetworkInspect(ctx, vars["id"])
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, n)
}

// createRequest is a network-create request as every API version sends
// it: moby's current network.CreateRequest plus CheckDuplicate, which
// clients of API <= 1.43 send (moby's client always as true). Since API
// 1.44 (moby v25) moby's router ignores CheckDuplicate for every API
// version and always refuses a duplicate name (daemon createNetwork); tug
// does as moby does: the field is read here and deliberately unused, and
// CheckDuplicate=false does not allow a duplicate either.
type createRequest struct {
	network.CreateRequest
	CheckDuplicate *bool `json:",omitempty"`
}

func (rt *Router) create(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var cr createRequest
	if err := server.ReadJSON(r, &cr); err != nil {
		if errors.Is(err, io.EOF) {
			return errdefs.InvalidParameter("request body is empty")
		}
		return err
	}
	req := cr.CreateRequest
	if req.Name == "" {
		return errdefs.InvalidParameter("network name cannot be empty")
	}
	resp, err := rt.backend.NetworkCreate(ctx, req)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusCreated, resp)
}

func (rt *Router) remove(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := rt.backend.NetworkRemove(ctx, vars["id"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (rt *Router) connect(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var req network.ConnectRequest
	if err := server.ReadJSON(r, &req); err != nil {
		if errors.Is(err, io.EOF) {
			return errdefs.InvalidParameter("request body is empty")
		}
		return err
	}
	if err := rt.backend.NetworkConnect(ctx, vars["id"], req.Container, req.EndpointConfig); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (rt *Router) disconnect(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var req network.DisconnectRequest
	if err := server.ReadJSON(r, &req); err != nil {
		if errors.Is(err, io.EOF) {
			return errdefs.InvalidParameter("request body is empty")
		}
		return err
	}
	if err := rt.backend.NetworkDisconnect(ctx, vars["id"], req.Container, req.Force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (rt *Router) prune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := server.DecodeFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := rt.backend.NetworkPrune(ctx, f)
	if err != nil {
		return err
	}
	if rep.NetworksDeleted == nil {
		rep.NetworksDeleted = []string{}
	}
	return server.WriteJSON(w, http.StatusOK, rep)
}
