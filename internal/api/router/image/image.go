package image

import (
	"net/http"

	"github.com/tug-project/tug/internal/api/server"
)

// Router serves the image routes.
type Router struct {
	backend Backend
}

// New returns the image router over b.
func New(b Backend) *Router { return &Router{backend: b} }

// Routes is the image route table. Image names contain '/', so the name
// variable matches across path segments.
func (rt *Router) Routes() []server.Route {
	return []server.Route{
		{Method: http.MethodGet, Path: "/images/json", Handler: rt.getImagesJSON},
		{Method: http.MethodGet, Path: "/images/get", Handler: rt.getImagesGet, Stream: true},
		{Method: http.MethodGet, Path: "/images/{name:.*}/get", Handler: rt.getImagesGet, Stream: true},
		{Method: http.MethodGet, Path: "/images/{name:.*}/history", Handler: rt.getImageHistory},
		{Method: http.MethodGet, Path: "/images/{name:.*}/attestations", Handler: rt.getImageAttestations},
		{Method: http.MethodGet, Path: "/images/{name:.*}/json", Handler: rt.getImageJSON},
		{Method: http.MethodPost, Path: "/images/load", Handler: rt.postImagesLoad},
		{Method: http.MethodPost, Path: "/images/prune", Handler: rt.postImagesPrune},
		{Method: http.MethodPost, Path: "/images/create", Handler: rt.postImagesCreate},
		{Method: http.MethodPost, Path: "/images/{name:.*}/tag", Handler: rt.postImageTag},
		{Method: http.MethodDelete, Path: "/images/{name:.*}", Handler: rt.deleteImage},
	}
}
