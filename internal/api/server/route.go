package server

import (
	"context"
	"net/http"
)

// HandlerFunc handles one API request. vars holds the path variables of the
// route (and "version" when the path had a /v{version} prefix). A handler
// returns an error instead of writing one; the server picks the status.
type HandlerFunc func(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error

// Route is one entry of a router's route table. Path is a gorilla/mux
// template without the version prefix, e.g. "/images/{name:.*}/json".
type Route struct {
	Method  string
	Path    string
	Handler HandlerFunc
	// Stream marks long-lived requests (event streams, followed logs, waits,
	// attaches): Shutdown cancels their context instead of waiting for them.
	Stream bool
}

// Router is a table of routes for one resource.
type Router interface {
	Routes() []Route
}
