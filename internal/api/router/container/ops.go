package container

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/common"
	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/filters"
)

// opsBackend pauses, commits, exports and prunes containers.
type opsBackend interface {
	ContainerPause(ctx context.Context, nameOrID string) error
	ContainerUnpause(ctx context.Context, nameOrID string) error
	ContainerCommit(ctx context.Context, opts backend.CommitOptions) (imageID string, err error)
	ContainerExport(ctx context.Context, nameOrID string, out io.Writer) error
	ContainerPrune(ctx context.Context, f filters.Args) (container.PruneReport, error)
}

func (rt *Router) postContainerPause(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := rt.backend.ContainerPause(ctx, vars["name"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (rt *Router) postContainerUnpause(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := rt.backend.ContainerUnpause(ctx, vars["name"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (rt *Router) postCommit(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	opts := backend.CommitOptions{
		Container: r.Form.Get("container"),
		Repo:      r.Form.Get("repo"),
		Tag:       r.Form.Get("tag"),
		Author:    r.Form.Get("author"),
		Comment:   r.Form.Get("comment"),
		Changes:   r.Form["changes"],
		Pause:     server.BoolValueOrDefault(r, "pause", true),
	}
	if r.ContentLength != 0 {
		var cfg container.Config
		if err := server.ReadJSON(r, &cfg); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		opts.Config = &cfg
	}
	id, err := rt.backend.ContainerCommit(ctx, opts)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusCreated, common.IDResponse{ID: id})
}

func (rt *Router) getContainerExport(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	w.Header().Set("Content-Type", "application/x-tar")
	out := server.NewWriteFlusher(w, false)
	if err := rt.backend.ContainerExport(ctx, vars["name"], out); err != nil {
		if !out.Written() {
			w.Header().Del("Content-Type")
			return err
		}
		_ = server.WriteStreamError(out, err)
	}
	return nil
}

func (rt *Router) postContainersPrune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := server.DecodeFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := rt.backend.ContainerPrune(ctx, f)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, rep)
}
