package swarm

import (
	"context"
	"net/http"
	"strconv"

	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// Docker's texts for an engine outside a swarm (moby daemon/cluster).
const (
	notManager = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."
	noSwarm    = "This node is not part of a swarm"
	// unsupported is tug's own: Docker would create or join a swarm here.
	unsupported = "swarm mode is not supported by tug: this engine cannot init or join a swarm"
)

// Router serves the swarm-mode routes.
type Router struct{}

// New returns the swarm router.
func New() *Router { return &Router{} }

// Routes is the route table.
func (rt *Router) Routes() []server.Route {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	return []server.Route{
		{Method: get, Path: "/swarm", Handler: notAManager},
		{Method: post, Path: "/swarm/init", Handler: refuse},
		{Method: post, Path: "/swarm/join", Handler: refuse},
		{Method: post, Path: "/swarm/leave", Handler: notInSwarm},
		{Method: post, Path: "/swarm/update", Handler: versioned("swarm")},
		{Method: get, Path: "/swarm/unlockkey", Handler: notAManager},
		{Method: post, Path: "/swarm/unlock", Handler: notAManager},

		{Method: get, Path: "/nodes", Handler: notAManager},
		{Method: get, Path: "/nodes/{id}", Handler: notAManager},
		{Method: del, Path: "/nodes/{id}", Handler: notAManager},
		{Method: post, Path: "/nodes/{id}/update", Handler: versioned("node")},

		{Method: get, Path: "/services", Handler: notAManager},
		{Method: post, Path: "/services/create", Handler: notAManager},
		{Method: get, Path: "/services/{id}", Handler: notAManager},
		{Method: del, Path: "/services/{id}", Handler: notAManager},
		{Method: post, Path: "/services/{id}/update", Handler: versioned("service")},
		{Method: get, Path: "/services/{id}/logs", Handler: logs},

		{Method: get, Path: "/tasks", Handler: notAManager},
		{Method: get, Path: "/tasks/{id}", Handler: notAManager},
		{Method: get, Path: "/tasks/{id}/logs", Handler: logs},

		{Method: get, Path: "/secrets", Handler: notAManager},
		{Method: post, Path: "/secrets/create", Handler: notAManager},
		{Method: get, Path: "/secrets/{id}", Handler: notAManager},
		{Method: del, Path: "/secrets/{id}", Handler: notAManager},
		{Method: post, Path: "/secrets/{id}/update", Handler: versionedShort("secret")},

		{Method: get, Path: "/configs", Handler: notAManager},
		{Method: post, Path: "/configs/create", Handler: notAManager},
		{Method: get, Path: "/configs/{id}", Handler: notAManager},
		{Method: del, Path: "/configs/{id}", Handler: notAManager},
		{Method: post, Path: "/configs/{id}/update", Handler: versionedShort("config")},
	}
}

func notAManager(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
	return errdefs.Unavailable(notManager)
}

func notInSwarm(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
	return errdefs.Unavailable(noSwarm)
}

func refuse(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
	return errdefs.Unavailable(unsupported)
}

// versioned checks the version query parameter first, as Docker's update
// handlers do ("invalid node version ”: ...").
func versioned(kind string) server.HandlerFunc {
	return func(_ context.Context, _ http.ResponseWriter, r *http.Request, _ map[string]string) error {
		v := r.Form.Get("version")
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			return errdefs.InvalidParameter("invalid %s version '%s': %v", kind, v, err)
		}
		return errdefs.Unavailable(notManager)
	}
}

// versionedShort is the secrets' and configs' variant: Docker's text has
// no detail there.
func versionedShort(kind string) server.HandlerFunc {
	return func(_ context.Context, _ http.ResponseWriter, r *http.Request, _ map[string]string) error {
		if _, err := strconv.ParseUint(r.Form.Get("version"), 10, 64); err != nil {
			return errdefs.InvalidParameter("invalid %s version", kind)
		}
		return errdefs.Unavailable(notManager)
	}
}

// logs checks the streams first, as Docker does.
func logs(_ context.Context, _ http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if !server.BoolValue(r, "stdout") && !server.BoolValue(r, "stderr") {
		return errdefs.InvalidParameter("Bad parameters: you must choose at least one stream")
	}
	return errdefs.Unavailable(notManager)
}
