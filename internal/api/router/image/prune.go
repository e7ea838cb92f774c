package image

import (
	"context"
	"net/http"

	"github.com/moby/moby/api/types/image"

	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/filters"
)

// pruneBackend removes unused images.
type pruneBackend interface {
	ImagePrune(ctx context.Context, f filters.Args) (image.PruneReport, error)
}

func (rt *Router) postImagesPrune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := server.DecodeFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := rt.backend.ImagePrune(ctx, f)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, rep)
}
