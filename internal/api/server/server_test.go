package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tug-project/tug/internal/errdefs"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.24", "1.24", 0},
		{"1.9", "1.10", -1},
		{"1.51", "1.41", 1},
		{"1.41.1", "1.41", 1},
		{"2", "1.99", 1},
		{"", "1.0", -1},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"", DefaultAPIVersion, ""},
		{"1.24", "1.24", ""},
		{"1.41", "1.41", ""},
		{"1.51", "1.51", ""},
		{"1.12", "", "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"},
		{"1.52", "", "client version 1.52 is too new. Maximum supported API version is 1.51"},
	}
	for _, tt := range tests {
		got, err := checkVersion(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err || !errors.Is(err, errdefs.ErrInvalidParameter) {
				t.Errorf("checkVersion(%q) error = %v, want InvalidParameter %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("checkVersion(%q) = %q, %v, want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestStatusFromError(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{errdefs.NotFound("No such container: x"), 404},
		{fmt.Errorf("wrapped: %w", errdefs.ErrNotFound), 404},
		{errdefs.Conflict("in use"), 409},
		{errdefs.InvalidParameter("bad"), 400},
		{errdefs.Unavailable("busy"), 503},
		{errdefs.Forbidden("no"), 403},
		{errdefs.NotImplemented("later"), 501},
		{errdefs.NotModified("already started"), 304},
		{errdefs.CannotInvoke("permission denied"), 400},
		{errdefs.CommandNotFound("not found"), 400},
		{errors.New("boom"), 500},
	}
	for _, tt := range tests {
		if got := StatusFromError(tt.err); got != tt.want {
			t.Errorf("StatusFromError(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestDecodeFilters(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string][]string
		wantErr bool
	}{
		{"", map[string][]string{}, false},
		{`{"status":{"running":true,"exited":true},"name":{"web":true}}`, map[string][]string{"status": {"exited", "running"}, "name": {"web"}}, false},
		{`{"label":["a=b","a=b","c"]}`, map[string][]string{"label": {"a=b", "c"}}, false},
		{`{}`, map[string][]string{}, false},
		{`{"status":"running"}`, nil, true},
		{`not json`, nil, true},
	}
	for _, tt := range tests {
		got, err := DecodeFilters(tt.in)
		if tt.wantErr {
			if !errors.Is(err, errdefs.ErrInvalidParameter) {
				t.Errorf("DecodeFilters(%q) error = %v, want InvalidParameter", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("DecodeFilters(%q) error = %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("DecodeFilters(%q) mismatch (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", time.Time{}, false},
		{"1700000000", time.Unix(1700000000, 0), false},
		{"1700000000.5", time.Unix(1700000000, 500000000), false},
		{"1700000000.000000001", time.Unix(1700000000, 1), false},
		{"1700000000.123456789123", time.Unix(1700000000, 123456789), false},
		{"abc", time.Time{}, true},
		{"1.x", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseTimestamp(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseTimestamp(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseTimestamp(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

type testRouter []Route

func (r testRouter) Routes() []Route { return r }

func newTestHandler(t *testing.T) http.Handler {
	t.Helper()
	routes := testRouter{
		{Method: http.MethodGet, Path: "/hello/{name:.*}/json", Handler: func(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
			return WriteJSON(w, http.StatusOK, map[string]string{"name": vars["name"], "version": APIVersion(ctx), "q": r.Form.Get("q")})
		}},
		{Method: http.MethodGet, Path: "/fail", Handler: func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
			return errdefs.NotFound("No such container: x")
		}},
		{Method: http.MethodGet, Path: "/boom", Handler: func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
			panic("boom")
		}},
		{Method: http.MethodPost, Path: "/started", Handler: func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
			return errdefs.NotModified("container already started")
		}},
	}
	return New(Config{}, routes).Handler()
}

func TestMiddleware(t *testing.T) {
	h := newTestHandler(t)
	tests := []struct {
		method, path string
		status       int
		body         string // substring
	}{
		{"GET", "/hello/docker.io/library/busybox/json?q=1", 200, `{"name":"docker.io/library/busybox","q":"1","version":"1.51"}`},
		{"GET", "/v1.41/hello/a/json", 200, `"version":"1.41"`},
		{"GET", "/v1.24/hello/a/json", 200, `"version":"1.24"`},
		{"GET", "/v1.12/hello/a/json", 400, `{"message":"client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"}`},
		{"GET", "/v1.99/hello/a/json", 400, `client version 1.99 is too new. Maximum supported API version is 1.51`},
		{"GET", "/fail", 404, `{"message":"No such container: x"}`},
		{"GET", "/v1.41/fail", 404, `No such container: x`},
		{"GET", "/boom", 500, `"message":"internal error: boom"`},
		{"POST", "/started", 304, ``},
		{"GET", "/nope", 404, `{"message":"page not found"}`},
		{"GET", "/v1.41/nope/deeper", 404, `{"message":"page not found"}`},
		{"DELETE", "/fail", 404, `{"message":"page not found"}`},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status {
			t.Errorf("%s %s status = %d, want %d (body %q)", tt.method, tt.path, rec.Code, tt.status, rec.Body.String())
		}
		if !strings.Contains(rec.Body.String(), tt.body) {
			t.Errorf("%s %s body = %q, want it to contain %q", tt.method, tt.path, rec.Body.String(), tt.body)
		}
		if got := rec.Header().Get("Api-Version"); got != DefaultAPIVersion {
			t.Errorf("%s %s Api-Version = %q, want %q", tt.method, tt.path, got, DefaultAPIVersion)
		}
		if got := rec.Header().Get("Ostype"); got != "linux" {
			t.Errorf("%s %s Ostype = %q, want linux", tt.method, tt.path, got)
		}
	}
}

func TestListenServeShutdown(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "run", "tug.sock")

	// A stale socket file is replaced.
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	stale, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()

	l, err := Listen(sock)
	if err != nil {
		t.Fatalf("Listen() = %v, want nil", err)
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode = %v, want 0660", fi.Mode().Perm())
	}
	if _, err := Listen(sock); err == nil {
		t.Errorf("Listen() on a live socket = nil, want error")
	}

	streaming := make(chan struct{})
	routes := testRouter{{Method: http.MethodGet, Path: "/stream", Stream: true, Handler: func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
		w.WriteHeader(http.StatusOK)
		_ = http.NewResponseController(w).Flush()
		close(streaming)
		<-ctx.Done()
		return nil
	}}}
	s := New(Config{}, routes)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, l) }()

	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := hc.Get("http://tug/stream")
	if err != nil {
		t.Fatalf("GET /stream: %v", err)
	}
	defer resp.Body.Close()
	<-streaming

	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	start := time.Now()
	if err := s.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown() = %v, want nil", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %v with a streaming request open, want it ended promptly", d)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if err := <-served; err != nil {
		t.Errorf("Serve() = %v, want nil", err)
	}
}

func TestWriteStreamError(t *testing.T) {
	var b strings.Builder
	if err := WriteStreamError(&b, errors.New("pull access denied")); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"error": "pull access denied", "errorDetail": map[string]any{"message": "pull access denied"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("WriteStreamError mismatch (-want +got):\n%s", d)
	}
}
