package plugin

import (
	"context"
	"net/http"

	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// Router serves the plugin routes.
type Router struct{}

// New returns the plugin router.
func New() *Router { return &Router{} }

// Routes is the route table.
func (rt *Router) Routes() []server.Route {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	return []server.Route{
		{Method: get, Path: "/plugins", Handler: list},
		{Method: get, Path: "/plugins/privileges", Handler: refuse("plugin privileges")},
		{Method: post, Path: "/plugins/pull", Handler: refuse("plugin install")},
		{Method: post, Path: "/plugins/create", Handler: refuse("plugin create")},
		{Method: get, Path: "/plugins/{name:.*}/json", Handler: notFound},
		{Method: del, Path: "/plugins/{name:.*}", Handler: notFound},
		{Method: post, Path: "/plugins/{name:.*}/enable", Handler: notFound},
		{Method: post, Path: "/plugins/{name:.*}/disable", Handler: notFound},
		{Method: post, Path: "/plugins/{name:.*}/push", Handler: notFound},
		{Method: post, Path: "/plugins/{name:.*}/set", Handler: notFound},
		{Method: post, Path: "/plugins/{name:.*}/upgrade", Handler: refuse("plugin upgrade")},
	}
}

// list answers GET /plugins: no plugin is installed (the filters are
// still checked, as Docker does).
func list(_ context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if _, err := server.DecodeFilters(r.Form.Get("filters")); err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, []struct{}{})
}

// notFound is Docker's answer for a plugin that is not installed.
func notFound(_ context.Context, _ http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	return errdefs.NotFound("plugin %q not found", vars["name"])
}

func refuse(what string) server.HandlerFunc {
	return func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
		return errdefs.NotImplemented("%s: managed plugins are not supported by tug", what)
	}
}
