package build

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/compat"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// Router serves the build routes.
type Router struct {
	backend Backend
}

// New returns the build router over b.
func New(b Backend) *Router { return &Router{backend: b} }

// Routes is the build route table.
func (rt *Router) Routes() []server.Route {
	return []server.Route{
		{Method: http.MethodPost, Path: "/build", Handler: rt.postBuild, Stream: true},
		{Method: http.MethodPost, Path: "/build/prune", Handler: rt.postBuildPrune},
		{Method: http.MethodPost, Path: "/session", Handler: postSession},
	}
}

// postSession refuses POST /session: it carries BuildKit's session
// protocol, and tug's builder is the classic one (POST /build).
func postSession(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
	return errdefs.NotImplemented("BuildKit sessions are not supported by tug: its builder is the classic one (DOCKER_BUILDKIT=0)")
}

// ParseOptions decodes POST /build's query.
func ParseOptions(r *http.Request) (backend.BuildOptions, error) {
	if err := compat.Build(r.Form, r.Header); err != nil { // parameters tug does not implement
		return backend.BuildOptions{}, err
	}
	o := backend.BuildOptions{
		Tags:        r.Form["t"],
		Dockerfile:  r.FormValue("dockerfile"),
		Target:      r.FormValue("target"),
		NoCache:     server.BoolValue(r, "nocache"),
		Pull:        server.BoolValue(r, "pull"),
		Quiet:       server.BoolValue(r, "q"),
		NetworkMode: r.FormValue("networkmode"),
		ExtraHosts:  r.Form["extrahosts"],
		Remove:      server.BoolValueOrDefault(r, "rm", true),
		ForceRemove: server.BoolValue(r, "forcerm"),
		ContextDir:  r.FormValue("tug-context-dir"),
		ContextID:   r.FormValue("tug-context-id"),
	}
	if o.ContextDir != "" && (!filepath.IsAbs(o.ContextDir) || filepath.Clean(o.ContextDir) != o.ContextDir) {
		return o, errdefs.InvalidParameter("%w %q: not an absolute, clean path", backend.ErrBuildContextDir, o.ContextDir)
	}
	if v := r.FormValue("buildargs"); v != "" {
		if err := json.Unmarshal([]byte(v), &o.BuildArgs); err != nil {
			return o, errdefs.InvalidParameter("invalid buildargs: %v", err)
		}
	}
	if v := r.FormValue("labels"); v != "" {
		if err := json.Unmarshal([]byte(v), &o.Labels); err != nil {
			return o, errdefs.InvalidParameter("invalid labels: %v", err)
		}
	}
	for _, h := range o.ExtraHosts {
		if err := validateExtraHost(h); err != nil {
			return o, err
		}
	}
	if v := r.FormValue("version"); v == "2" {
		return o, errdefs.NotImplemented("BuildKit is not supported by tugd: use DOCKER_BUILDKIT=0")
	}
	return o, nil
}

// message is one line of Docker's build stream.
type message struct {
	Stream      string           `json:"stream,omitempty"`
	Aux         any              `json:"aux,omitempty"`
	Error       string           `json:"error,omitempty"`
	ErrorDetail *jsonErrorDetail `json:"errorDetail,omitempty"`
}

type jsonErrorDetail struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message"`
}

// streamOutput writes the build's progress as JSON messages.
type streamOutput struct {
	mu    sync.Mutex
	enc   *json.Encoder
	quiet bool
	err   error
}

func (s *streamOutput) write(m message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = s.enc.Encode(m)
	}
}

func (s *streamOutput) Stream(str string) {
	if !s.quiet {
		s.write(message{Stream: str})
	}
}

func (s *streamOutput) Aux(id string) {
	s.write(message{Aux: map[string]string{"ID": id}})
}

func (rt *Router) postBuild(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	opts, err := ParseOptions(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	wf := server.NewWriteFlusher(w, true)
	out := &streamOutput{enc: json.NewEncoder(wf), quiet: opts.Quiet}
	id, err := rt.backend.Build(ctx, r.Body, opts, out)
	if err == nil && opts.Quiet {
		// Docker's -q prints the stream, which is then just the ID.
		out.write(message{Stream: id + "\n"})
	}
	// Drain what is left of the context so the client sees the response.
	_, _ = io.Copy(io.Discard, r.Body)
	if err != nil && errors.Is(err, backend.ErrBuildContextDir) && !wf.Written() {
		// Nothing sent yet (the daemon could not use the directory): an
		// HTTP error, on which the tug CLI falls back to a tar stream.
		return err
	}
	if err != nil {
		detail := &jsonErrorDetail{Message: err.Error()}
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			detail.Code = coded.ExitCode()
		}
		out.write(message{Error: err.Error(), ErrorDetail: detail})
	}
	return nil
}

// pruneReport is Docker's build.CachePruneReport.
type pruneReport struct {
	CachesDeleted  []string
	SpaceReclaimed uint64
}

func (rt *Router) postBuildPrune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := checkPruneParams(r); err != nil {
		return err
	}
	n, err := rt.backend.BuildCachePrune(ctx)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, pruneReport{CachesDeleted: []string{}, SpaceReclaimed: uint64(n)})
}

// checkPruneParams refuses the parameters of POST /build/prune tug does
// not implement (it drops every cache record no image holds): a limit on
// what to keep, and filters. Zero values, as clients send them, pass.
func checkPruneParams(r *http.Request) error {
	q := r.URL.Query()
	for _, k := range []string{"keep-storage", "reserved-space", "max-used-space", "min-free-space"} {
		if v := q.Get(k); v != "" && v != "0" {
			return errdefs.InvalidParameter("build cache prune: %s is not supported by tug: it removes all unused build cache", k)
		}
	}
	f, err := server.DecodeFilters(q.Get("filters"))
	if err != nil {
		return err
	}
	if len(f) > 0 {
		return errdefs.InvalidParameter("build cache prune: filter '%s' is not supported by tug: it removes all unused build cache", slices.Sorted(maps.Keys(f))[0])
	}
	return nil
}

// validateExtraHost checks an --add-host entry: host:ip (or host=ip), as
// Docker's ValidateExtraHost; host-gateway is the default bridge's gateway.
func validateExtraHost(h string) error {
	name, ip, ok := strings.Cut(h, "=")
	if !ok {
		name, ip, ok = strings.Cut(h, ":")
	}
	if !ok || name == "" {
		return errdefs.InvalidParameter("bad format for add-host: %q", h)
	}
	if ip == "host-gateway" {
		return nil
	}
	if _, err := netip.ParseAddr(strings.Trim(ip, "[]")); err != nil {
		return errdefs.InvalidParameter("invalid IP address in add-host: %q", ip)
	}
	return nil
}
