package system

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// Router serves the system routes.
type Router struct {
	backend Backend
}

// New returns the system router over b.
func New(b Backend) *Router { return &Router{backend: b} }

// Routes is the system route table.
func (rt *Router) Routes() []server.Route {
	return []server.Route{
		{Method: http.MethodGet, Path: "/_ping", Handler: rt.ping},
		{Method: http.MethodHead, Path: "/_ping", Handler: rt.ping},
		{Method: http.MethodGet, Path: "/version", Handler: rt.getVersion},
		{Method: http.MethodGet, Path: "/info", Handler: rt.getInfo},
		{Method: http.MethodGet, Path: "/events", Handler: rt.getEvents, Stream: true},
		{Method: http.MethodGet, Path: "/system/df", Handler: rt.getSystemDF},
	}
}

func (rt *Router) ping(_ context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Builder-Version", "1")
	h.Set("Swarm", "inactive")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	_, err := w.Write([]byte("OK"))
	return err
}

func (rt *Router) getVersion(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	v := rt.backend.SystemVersion(ctx)
	if v.APIVersion == "" {
		v.APIVersion = server.DefaultAPIVersion
	}
	if v.MinAPIVersion == "" {
		v.MinAPIVersion = server.MinAPIVersion
	}
	return server.WriteJSON(w, http.StatusOK, v)
}

func (rt *Router) getInfo(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	info, err := rt.backend.SystemInfo(ctx)
	if err != nil {
		return err
	}
	doc, err := infoForVersion(ctx, info)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, doc)
}

func (rt *Router) getEvents(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	since, err := server.ParseTimestamp(r.Form.Get("since"))
	if err != nil {
		return err
	}
	until, err := server.ParseTimestamp(r.Form.Get("until"))
	if err != nil {
		return err
	}
	var timeout <-chan time.Time
	onlyPast := false
	if !until.IsZero() {
		if until.Before(since) {
			return errdefs.InvalidParameter("`since` time (%s) cannot be after `until` time (%s)", r.Form.Get("since"), r.Form.Get("until"))
		}
		if d := time.Until(until); d <= 0 {
			onlyPast = true
		} else {
			t := time.NewTimer(d)
			defer t.Stop()
			timeout = t.C
		}
	}
	f, err := server.DecodeFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}

	// The backend streams live events only for an open-ended subscription;
	// a future `until` is enforced here with the timer.
	backendUntil := until
	if timeout != nil {
		backendUntil = time.Time{}
	}
	past, live, cancel := rt.backend.SubscribeEvents(ctx, since, backendUntil, f)
	if cancel != nil {
		defer cancel()
	}

	w.Header().Set("Content-Type", "application/json")
	out := server.NewWriteFlusher(w, true)
	_ = out.Flush()
	enc := json.NewEncoder(out)
	for _, ev := range past {
		if err := enc.Encode(ev); err != nil {
			return err
		}
	}
	if onlyPast || live == nil {
		return nil
	}
	for {
		select {
		case ev, ok := <-live:
			if !ok {
				return nil
			}
			if err := enc.Encode(ev); err != nil {
				return err
			}
		case <-timeout:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}
