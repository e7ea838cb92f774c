package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/tug-project/tug/internal/trace"
)

// Config configures a Server.
type Config struct {
	// Logger receives request logs (debug) and server errors; default slog.Default().
	Logger *slog.Logger
	// Version is the engine version, sent in the Server header.
	Version string
	// ShutdownTimeout bounds the graceful shutdown Serve does when its
	// context ends; default 10s.
	ShutdownTimeout time.Duration
}

// Server serves the Docker Engine API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	srv     *http.Server
	conns   connTracker

	mu      sync.Mutex
	streams map[*context.CancelFunc]struct{}
}

// New builds a server for the routes of routers.
func New(cfg Config, routers ...Router) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &Server{cfg: cfg, log: cfg.Logger, streams: map[*context.CancelFunc]struct{}{}}
	s.handler = s.newMux(routers)
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	return s
}

// Handler returns the API as an http.Handler (for tests and custom servers).
func (s *Server) Handler() http.Handler { return s.handler }

const versionMatcher = "/v{version:[0-9.]+}"

func (s *Server) newMux(routers []Router) *mux.Router {
	m := mux.NewRouter()
	for _, rt := range routers {
		for _, r := range rt.Routes() {
			h := s.makeHandler(r)
			m.Path(versionMatcher + r.Path).Methods(r.Method).Handler(h)
			m.Path(r.Path).Methods(r.Method).Handler(h)
		}
	}
	notFound := s.makeHandler(Route{Handler: func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
		return errPageNotFound
	}})
	m.Path(versionMatcher + "/{path:.*}").Handler(notFound)
	m.NotFoundHandler = notFound
	m.MethodNotAllowedHandler = notFound
	return m
}

// makeHandler wraps a route's handler in the middleware every route shares.
func (s *Server) makeHandler(route Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer trace.Span("api " + route.Method + " " + route.Path)()
		rw := &responseWriter{ResponseWriter: w}
		vars := mux.Vars(r)
		if vars == nil {
			vars = map[string]string{}
		}
		ctx := WithLogger(r.Context(), s.log)
		ctx = context.WithValue(ctx, trackerKey{}, &s.conns)
		if route.Stream {
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer s.trackStream(&cancel)()
		}

		h := rw.Header()
		h.Set("Server", fmt.Sprintf("Docker/%s (linux)", s.cfg.Version))
		h.Set("Api-Version", DefaultAPIVersion)
		h.Set("Ostype", "linux")
		h.Set("Docker-Experimental", "false")

		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					s.log.ErrorContext(ctx, "api handler panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
					err = fmt.Errorf("internal error: %v", p)
				}
			}()
			version, verr := checkVersion(vars["version"])
			if verr != nil {
				err = verr
				return
			}
			ctx = WithAPIVersion(ctx, version)
			if err = parseQuery(r); err != nil {
				return
			}
			err = route.Handler(ctx, rw, r.WithContext(ctx), vars)
		}()

		status := rw.status
		if err != nil {
			switch {
			case rw.hijacked:
				s.log.DebugContext(ctx, "api error after hijack", "method", r.Method, "path", r.URL.Path, "err", err)
			case rw.wroteHeader:
				s.log.DebugContext(ctx, "api error after response started", "method", r.Method, "path", r.URL.Path, "err", err)
			default:
				status = writeError(rw, err)
				if status >= 500 {
					s.log.ErrorContext(ctx, "api error", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
				}
			}
		}
		if status == 0 {
			status = http.StatusOK
		}
		s.log.DebugContext(ctx, "api request", "method", r.Method, "path", r.URL.Path, "status", status, "hijacked", rw.hijacked, "duration", time.Since(start))
	})
}

func (s *Server) trackStream(cancel *context.CancelFunc) (untrack func()) {
	s.mu.Lock()
	s.streams[cancel] = struct{}{}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.streams, cancel)
		s.mu.Unlock()
		(*cancel)()
	}
}

// Listen listens on the unix socket path: the parent directory is created,
// a stale socket removed (one a live server answers on is an error), and the
// socket made mode 0660.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("listen %s: a file that is not a socket is in the way", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("listen %s: another server is listening on it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("listen %s: remove stale socket: %w", path, err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	return l, nil
}

// Serve serves requests on l until Shutdown is called or ctx ends (then it
// shuts down gracefully within Config.ShutdownTimeout). ctx is also the
// parent of every request's context. It returns nil after a shutdown.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
			defer cancel()
			_ = s.Shutdown(sctx)
		case <-done:
		}
	}()
	if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections, ends streaming requests and hijacked
// connections, and waits for the other requests to finish until ctx ends,
// when the remaining connections are closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.srv.SetKeepAlivesEnabled(false)
	// Stop accepting first, then end the long-lived requests that would
	// otherwise keep Shutdown waiting.
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Shutdown(ctx) }()
	s.conns.closeAll()
	s.mu.Lock()
	for c := range s.streams {
		(*c)()
	}
	s.mu.Unlock()
	err := <-errc
	if err != nil {
		_ = s.srv.Close()
	}
	return err
}

// responseWriter records the status for logging and whether the response
// started or the connection was hijacked.
type responseWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	hijacked    bool
}

func (w *responseWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status = code
		w.wroteHeader = code >= 200 || code == http.StatusSwitchingProtocols
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	c, brw, err := h.Hijack()
	if err == nil {
		w.hijacked = true
		w.status = http.StatusSwitchingProtocols
	}
	return c, brw, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
