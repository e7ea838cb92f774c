package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/tug-project/tug/internal/errdefs"
)

// StatusFromError is the one mapping of error classes to HTTP status codes.
func StatusFromError(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, errdefs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errdefs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errdefs.ErrInvalidParameter),
		errors.Is(err, errdefs.ErrCannotInvoke),
		errors.Is(err, errdefs.ErrCommandNotFound):
		return http.StatusBadRequest
	case errors.Is(err, errdefs.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, errdefs.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errdefs.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, errdefs.ErrNotImplemented):
		return http.StatusNotImplemented
	case errors.Is(err, errdefs.ErrNotModified):
		return http.StatusNotModified
	default:
		return http.StatusInternalServerError
	}
}

// errorResponse is Docker's error body (common.ErrorResponse).
type errorResponse struct {
	Message string `json:"message"`
}

// writeError writes err as Docker's JSON error body with its status.
func writeError(w http.ResponseWriter, err error) int {
	status := StatusFromError(err)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	w.WriteHeader(status)
	if status != http.StatusNotModified {
		_ = json.NewEncoder(w).Encode(errorResponse{Message: err.Error()})
	}
	return status
}

// errPageNotFound is what unknown routes answer.
var errPageNotFound = errdefs.NotFound("page not found")
