package registry

import (
	"context"
	"net/http"
	"strconv"

	"github.com/distribution/reference"

	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// getDistributionJSON serves GET /distribution/{name}/json: what the
// registry holds under a reference, without pulling it.
func (rt *Router) getDistributionJSON(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	named, err := reference.ParseNormalizedNamed(vars["name"])
	if err != nil {
		return errdefs.InvalidParameter("%s", err.Error())
	}
	resp, err := rt.backend.DistributionInspect(ctx, named, r.Header.Get("X-Registry-Auth"))
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, resp)
}

// getImagesSearch serves GET /images/search?term=&limit=&filters=.
func (rt *Router) getImagesSearch(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	limit := 0
	if v := r.Form.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errdefs.InvalidParameter("invalid limit specified: %q", v)
		}
		limit = n
	}
	f, err := server.DecodeFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	res, err := rt.backend.ImageSearch(ctx, r.Form.Get("term"), limit, f, r.Header.Get("X-Registry-Auth"))
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, res)
}
