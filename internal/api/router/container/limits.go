package container

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

func (rt *Router) getContainerStats(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	opts := backend.ContainerStatsOptions{Stream: true, OneShot: server.BoolValue(r, "one-shot")}
	if r.Form.Has("stream") {
		opts.Stream = server.BoolValue(r, "stream")
	}
	if opts.Stream && opts.OneShot {
		return errdefs.InvalidParameter("cannot have stream=true and one-shot=true")
	}
	enc := json.NewEncoder(w)
	started := false
	err := rt.backend.ContainerStats(ctx, vars["name"], opts, func(s *container.StatsResponse) error {
		if !started {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		if err := enc.Encode(s); err != nil {
			return err
		}
		return http.NewResponseController(w).Flush()
	})
	if started {
		return nil // the status is sent; a broken stream just ends
	}
	return err
}

// kernelMemory is the KernelMemory field API clients before 1.42 send; it
// is not in moby's current types.
type kernelMemory struct {
	KernelMemory    int64
	KernelMemoryTCP int64
}

// kernelMemoryWarnings are Docker's warnings for a kernel memory limit,
// which tug accepts and does not apply: the kernel no longer enforces it.
func kernelMemoryWarnings(k kernelMemory) []string {
	if k.KernelMemory == 0 && k.KernelMemoryTCP == 0 {
		return nil
	}
	return []string{
		"Specifying a kernel memory limit is deprecated and will be removed in a future release.",
		"Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.",
	}
}

// readBody reads a JSON request body into v and also returns its
// kernel memory fields.
func readBody(r *http.Request, v any) (kernelMemory, error) {
	k, _, err := readBodyLegacy(r, v)
	return k, err
}

// readBodyLegacy reads a JSON request body into v and also returns its
// kernel memory fields and the container-wide Config.MacAddress of API
// clients before 1.44 (docker 20.10's --mac-address); neither is in
// moby's current types.
func readBodyLegacy(r *http.Request, v any) (kernelMemory, string, error) {
	var k kernelMemory
	if r.Body == nil {
		return k, "", io.EOF
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return k, "", err
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err := server.ReadJSON(r, v); err != nil {
		return k, "", err
	}
	var probe struct {
		kernelMemory
		HostConfig *kernelMemory
		MacAddress string // the create request's Config is inline
	}
	_ = json.Unmarshal(b, &probe) // well-formed: ReadJSON decoded it
	if probe.HostConfig != nil {
		return *probe.HostConfig, probe.MacAddress, nil
	}
	return probe.kernelMemory, probe.MacAddress, nil
}

func (rt *Router) postContainerUpdate(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := server.CheckForJSON(r); err != nil {
		return err
	}
	var upd container.UpdateConfig
	k, err := readBody(r, &upd)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errdefs.InvalidParameter("invalid JSON: empty request body")
		}
		return err
	}
	resp, err := rt.backend.ContainerUpdate(ctx, vars["name"], &upd)
	if err != nil {
		return err
	}
	resp.Warnings = append(resp.Warnings, kernelMemoryWarnings(k)...)
	if resp.Warnings == nil {
		resp.Warnings = []string{}
	}
	return server.WriteJSON(w, http.StatusOK, resp)
}
