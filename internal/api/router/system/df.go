package system

import (
	"context"
	"net/http"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
)

// diskUsageBackend reports disk usage.
type diskUsageBackend interface {
	SystemDiskUsage(ctx context.Context, opts backend.DiskUsageOptions) (*backend.DiskUsage, error)
}

func (rt *Router) getSystemDF(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	du, err := rt.backend.SystemDiskUsage(ctx, backend.DiskUsageOptions{Types: r.Form["type"], Verbose: server.BoolValue(r, "verbose")})
	if err != nil {
		return err
	}
	doc, err := diskUsageForVersion(ctx, du)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, doc)
}
