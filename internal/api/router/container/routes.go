package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types"
	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

func (rt *Router) getContainersJSON(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := server.DecodeFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	opts := backend.ContainerListOptions{
		All:     server.BoolValue(r, "all"),
		Size:    server.BoolValue(r, "size"),
		Filters: f,
	}
	if n, ok, err := server.IntValue(r, "limit"); err != nil {
		return err
	} else if ok {
		opts.Limit = n
	}
	list, err := rt.backend.ContainerList(ctx, opts)
	if err != nil {
		return err
	}
	if list == nil {
		list = []container.Summary{}
	}
	return server.WriteJSON(w, http.StatusOK, list)
}

func (rt *Router) getContainerJSON(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	resp, err := rt.backend.ContainerInspect(ctx, vars["name"])
	if err != nil {
		return err
	}
	if server.VersionBefore(ctx, "1.52") {
		doc, err := inspectForVersion(ctx, resp)
		if err != nil {
			return err
		}
		return server.WriteJSON(w, http.StatusOK, doc)
	}
	return server.WriteJSON(w, http.StatusOK, resp)
}

func (rt *Router) postContainersCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := server.CheckForJSON(r); err != nil {
		return err
	}
	var req container.CreateRequest
	kmem, body, err := readBody(r, &req) // limits.go: KernelMemory is not in moby's types
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errdefs.InvalidParameter("invalid JSON: Config cannot be empty in order to create a container")
		}
		return err
	}
	if req.Config == nil {
		return errdefs.InvalidParameter("invalid JSON: Config cannot be empty in order to create a container")
	}
	if req.HostConfig == nil {
		req.HostConfig = &container.HostConfig{}
	}
	legacyWarnings, err := readLegacyCreate(body).apply(ctx, &req) // legacy.go
	if err != nil {
		return err
	}
	resp, err := rt.backend.ContainerCreate(ctx, r.Form.Get("name"), &req)
	if err != nil {
		return err
	}
	resp.Warnings = append(resp.Warnings, legacyWarnings...)
	resp.Warnings = append(resp.Warnings, kernelMemoryWarnings(kmem)...)
	if resp.Warnings == nil {
		resp.Warnings = []string{}
	}
	return server.WriteJSON(w, http.StatusCreated, resp)
}

func (rt *Router) postContainerStart(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	// A body with a HostConfig was removed in API 1.24; a JSON "null" or "{}" is tolerated.
	if r.ContentLength > 7 || r.ContentLength == -1 {
		return errdefs.InvalidParameter("starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24")
	}
	if err := rt.backend.ContainerStart(ctx, vars["name"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// stopOptions reads the signal (API >= 1.42) and t parameters of stop and restart.
func stopOptions(ctx context.Context, r *http.Request) (signal string, timeout *int, err error) {
	if !server.VersionBefore(ctx, "1.42") {
		signal = r.Form.Get("signal")
	}
	if n, ok, err := server.IntValue(r, "t"); err != nil {
		return "", nil, err
	} else if ok {
		timeout = &n
	}
	return signal, timeout, nil
}

func (rt *Router) postContainerStop(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	signal, timeout, err := stopOptions(ctx, r)
	if err != nil {
		return err
	}
	if err := rt.backend.ContainerStop(ctx, vars["name"], signal, timeout); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (rt *Router) postContainerRestart(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	signal, timeout, err := stopOptions(ctx, r)
	if err != nil {
		return err
	}
	if err := rt.backend.ContainerRestart(ctx, vars["name"], signal, timeout); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (rt *Router) postContainerKill(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	name := vars["name"]
	if err := rt.backend.ContainerKill(ctx, name, r.Form.Get("signal")); err != nil {
		return fmt.Errorf("cannot kill container: %s: %w", name, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (rt *Router) postContainerWait(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	legacy := server.VersionBefore(ctx, "1.30") // before 1.30: no condition, headers sent at the end
	cond := container.WaitConditionNotRunning
	if v := r.Form.Get("condition"); v != "" && !legacy {
		switch c := container.WaitCondition(v); c {
		case container.WaitConditionNotRunning, container.WaitConditionNextExit, container.WaitConditionRemoved:
			cond = c
		default:
			return errdefs.InvalidParameter("invalid condition: %q", v)
		}
	}
	waitC, err := rt.backend.ContainerWait(ctx, vars["name"], cond)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	if !legacy {
		// The CLI waits for this header before it starts the container.
		w.WriteHeader(http.StatusOK)
		_ = http.NewResponseController(w).Flush()
	}
	select {
	case resp, ok := <-waitC:
		if !ok {
			return errdefs.Unavailable("wait for container %s ended without a result", vars["name"])
		}
		return json.NewEncoder(w).Encode(resp)
	case <-ctx.Done():
		return nil
	}
}

func (rt *Router) postContainerAttach(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	sess, ctx := server.NewStreamSession(ctx, w, r)
	err := rt.backend.ContainerAttach(ctx, vars["name"], backend.ContainerAttachOptions{
		Stdin:      server.BoolValue(r, "stdin"),
		Stdout:     server.BoolValue(r, "stdout"),
		Stderr:     server.BoolValue(r, "stderr"),
		Stream:     server.BoolValue(r, "stream"),
		Logs:       server.BoolValue(r, "logs"),
		DetachKeys: r.Form.Get("detachKeys"),
		GetStreams: sess.GetStreams,
	})
	return sess.Close(err, "attach of "+vars["name"])
}

func (rt *Router) postContainerResize(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	h, wd, err := server.TTYSize(r)
	if err != nil {
		return err
	}
	if err := rt.backend.ContainerResize(ctx, vars["name"], h, wd); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (rt *Router) getContainerLogs(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	opts := backend.ContainerLogsOptions{
		Stdout:     server.BoolValue(r, "stdout"),
		Stderr:     server.BoolValue(r, "stderr"),
		Follow:     server.BoolValue(r, "follow"),
		Timestamps: server.BoolValue(r, "timestamps"),
		Tail:       -1,
	}
	if !opts.Stdout && !opts.Stderr {
		return errdefs.InvalidParameter("Bad parameters: you must choose at least one stream")
	}
	var err error
	if opts.Since, err = server.ParseTimestamp(r.Form.Get("since")); err != nil {
		return err
	}
	if opts.Until, err = server.ParseTimestamp(r.Form.Get("until")); err != nil {
		return err
	}
	if t := strings.TrimSpace(r.Form.Get("tail")); t != "" && t != "all" {
		if n, err := strconv.Atoi(t); err == nil && n >= 0 {
			opts.Tail = n
		}
	}

	var (
		wf  *server.WriteFlusher
		mux bool
	)
	out := func(tty bool) (io.Writer, io.Writer) {
		contentType := types.MediaTypeRawStream
		mux = !tty
		if mux && !server.VersionBefore(ctx, "1.42") {
			contentType = types.MediaTypeMultiplexedStream
		}
		w.Header().Set("Content-Type", contentType)
		wf = server.NewWriteFlusher(w, opts.Follow)
		w.WriteHeader(http.StatusOK)
		_ = wf.Flush()
		if !mux {
			return wf, wf
		}
		return server.NewStdWriter(wf, stdcopy.Stdout), server.NewStdWriter(wf, stdcopy.Stderr)
	}
	err = rt.backend.ContainerLogs(ctx, vars["name"], opts, out)
	if wf == nil {
		return err // the stream never started
	}
	if err != nil && ctx.Err() == nil {
		msg := fmt.Sprintf("Error grabbing logs: %v\n", err)
		if mux {
			_, _ = server.NewStdWriter(wf, stdcopy.Systemerr).Write([]byte(msg))
		} else {
			_, _ = wf.Write([]byte(msg))
		}
	}
	return nil
}

func (rt *Router) deleteContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if server.BoolValue(r, "link") {
		if err := rt.backend.ContainerRemoveLink(ctx, vars["name"]); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err := rt.backend.ContainerRemove(ctx, vars["name"], server.BoolValue(r, "force"), server.BoolValue(r, "v")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (rt *Router) postContainerRename(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := rt.backend.ContainerRename(ctx, vars["name"], r.Form.Get("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
