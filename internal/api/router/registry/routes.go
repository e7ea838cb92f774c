package registry

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// Router serves the registry routes.
type Router struct {
	backend Backend
}

// New returns the registry router over b.
func New(b Backend) *Router { return &Router{backend: b} }

// Routes is the route table.
func (rt *Router) Routes() []server.Route {
	return []server.Route{
		{Method: http.MethodPost, Path: "/images/{name:.*}/push", Handler: rt.postImagesPush},
		{Method: http.MethodPost, Path: "/auth", Handler: rt.postAuth},
		{Method: http.MethodGet, Path: "/distribution/{name:.*}/json", Handler: rt.getDistributionJSON},
		{Method: http.MethodGet, Path: "/images/search", Handler: rt.getImagesSearch},
	}
}

func (rt *Router) postImagesPush(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	name, tag := vars["name"], r.Form.Get("tag")
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return errdefs.InvalidParameter("%s", err.Error())
	}
	if tag != "" {
		if named, err = reference.WithTag(named, tag); err != nil {
			return errdefs.InvalidParameter("%s", err.Error())
		}
	}
	w.Header().Set("Content-Type", "application/json")
	out := server.NewWriteFlusher(w, true)
	err = rt.backend.ImagePush(ctx, backend.ImagePushOptions{Ref: named, AuthHeader: r.Header.Get("X-Registry-Auth")}, out)
	if err != nil {
		if !out.Written() {
			w.Header().Del("Content-Type")
			return err
		}
		_ = server.WriteStreamError(out, err)
	}
	return nil
}

func (rt *Router) postAuth(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var auth registry.AuthConfig
	if err := server.ReadJSON(r, &auth); err != nil {
		if errors.Is(err, io.EOF) {
			return errdefs.InvalidParameter("missing credentials in the request body")
		}
		return err
	}
	resp, err := rt.backend.AuthLogin(ctx, auth)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, resp)
}
