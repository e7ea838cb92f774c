package container

import (
	"net/http"

	"github.com/tug-project/tug/internal/api/server"
)

// Router serves the container routes.
type Router struct {
	backend Backend
}

// New returns the container router over b.
func New(b Backend) *Router { return &Router{backend: b} }

// Routes is the container route table.
func (rt *Router) Routes() []server.Route {
	return []server.Route{
		{Method: http.MethodGet, Path: "/containers/json", Handler: rt.getContainersJSON},
		{Method: http.MethodGet, Path: "/containers/{name:.*}/json", Handler: rt.getContainerJSON},
		{Method: http.MethodGet, Path: "/containers/{name:.*}/logs", Handler: rt.getContainerLogs, Stream: true},
		{Method: http.MethodPost, Path: "/containers/create", Handler: rt.postContainersCreate},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/start", Handler: rt.postContainerStart},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/stop", Handler: rt.postContainerStop},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/restart", Handler: rt.postContainerRestart},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/kill", Handler: rt.postContainerKill},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/wait", Handler: rt.postContainerWait, Stream: true},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/attach", Handler: rt.postContainerAttach, Stream: true},
		{Method: http.MethodGet, Path: "/containers/{name:.*}/attach/ws", Handler: rt.getContainerAttachWS, Stream: true},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/resize", Handler: rt.postContainerResize},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/rename", Handler: rt.postContainerRename},
		{Method: http.MethodDelete, Path: "/containers/{name:.*}", Handler: rt.deleteContainer},
		{Method: http.MethodGet, Path: "/containers/{name:.*}/stats", Handler: rt.getContainerStats, Stream: true},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/update", Handler: rt.postContainerUpdate},
		{Method: http.MethodPost, Path: "/containers/prune", Handler: rt.postContainersPrune},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/pause", Handler: rt.postContainerPause},
		{Method: http.MethodPost, Path: "/containers/{name:.*}/unpause", Handler: rt.postContainerUnpause},
		{Method: http.MethodGet, Path: "/containers/{name:.*}/export", Handler: rt.getContainerExport, Stream: true},
		{Method: http.MethodPost, Path: "/commit", Handler: rt.postCommit},
	}
}
