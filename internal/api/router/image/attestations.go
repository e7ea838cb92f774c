package image

import (
	"context"
	"net/http"

	"github.com/tug-project/tug/internal/errdefs"
)

// getImageAttestations answers GET /images/{name}/attestations as moby's
// graphdriver image store does: tug keeps the platform manifest of a pulled
// image, not the OCI index its attestation manifests hang from, so it
// cannot list them (501); a missing image is still 404.
func (rt *Router) getImageAttestations(ctx context.Context, _ http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if _, err := rt.backend.ImageInspect(ctx, vars["name"]); err != nil {
		return err
	}
	return errdefs.NotImplemented("image attestations: tug's image store does not keep OCI image indexes, so it has no attestation manifests to read")
}
