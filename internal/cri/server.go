package cri

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/cri/cni"
	"github.com/tug-project/tug/internal/errdefs"
)

// Config is how the CRI server was set up.
type Config struct {
	Version string // tug's version: the runtime version CRI clients see
	Logger  *slog.Logger
	// CNIConfDir holds the CNI network configuration (.conflist, .conf,
	// .json), CNIBinDirs the plugin binaries, searched in order.
	CNIConfDir string
	CNIBinDirs []string
	// StateDir holds the CRI's own state: the sandboxes' configs and
	// networks, libcni's cache.
	StateDir string
	// StreamAddress is where the streaming server of exec, attach and
	// port-forward listens (host:port); DefaultStreamAddress when empty.
	StreamAddress string
}

// Server is tug's CRI runtime and image services.
type Server struct {
	cfg        Config
	images     ImageBackend
	containers ContainerBackend
	networks   *cni.Networks
	state      stateStore
	grpc       *grpc.Server
	stream     *streamServer // set by Serve

	mu sync.Mutex // orders the changes of sandboxes

	// stopping ends when Serve begins to shut down: the event streams,
	// which never end on their own, end then.
	stopping context.Context
	stop     context.CancelFunc
}

// New returns a server translating CRI calls to the engine behind images
// and containers.
func New(cfg Config, images ImageBackend, containers ContainerBackend) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg:        cfg,
		images:     images,
		containers: containers,
		networks:   cni.New(cfg.CNIConfDir, cfg.CNIBinDirs, filepath.Join(cfg.StateDir, "cni-cache")),
		state:      stateStore{dir: cfg.StateDir},
	}
	s.stopping, s.stop = context.WithCancel(context.Background())
	s.grpc = grpc.NewServer(
		grpc.ChainUnaryInterceptor(s.unaryErrors),
		grpc.ChainStreamInterceptor(s.streamErrors),
	)
	runtimeapi.RegisterRuntimeServiceServer(s.grpc, &runtimeService{s: s})
	runtimeapi.RegisterImageServiceServer(s.grpc, &imageService{s: s})
	return s
}

// Listen opens the CRI socket addr ("unix:///run/tug/cri.sock" or a bare
// path), replacing a stale socket file but refusing one a server answers on.
func Listen(addr string) (net.Listener, string, error) {
	path := addr
	if scheme, rest, ok := strings.Cut(addr, "://"); ok {
		if scheme != "unix" {
			return nil, "", fmt.Errorf("cri socket %q: only unix:// sockets are served", addr)
		}
		path = rest
	}
	if !filepath.IsAbs(path) {
		return nil, "", fmt.Errorf("cri socket %q: the path must be absolute", addr)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, "", fmt.Errorf("cri socket %s: %w", path, err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, "", fmt.Errorf("cri socket %s: a file that is not a socket is in the way", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, "", fmt.Errorf("cri socket %s: another server is listening on it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, "", fmt.Errorf("cri socket %s: remove stale socket: %w", path, err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, "", err
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, "", fmt.Errorf("cri socket %s: %w", path, err)
	}
	return l, path, nil
}

// Serve serves l until ctx ends, then stops gracefully (streams still open
// after five seconds are cut). It returns nil after a shutdown.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if err := s.startStream(); err != nil {
		return err
	}
	defer s.stream.stop()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		s.stop()
		stopped := make(chan struct{})
		go func() { s.grpc.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			s.grpc.Stop()
		}
	}()
	err := s.grpc.Serve(l)
	if errors.Is(err, grpc.ErrServerStopped) || ctx.Err() != nil {
		return nil
	}
	return err
}

func (s *Server) unaryErrors(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	if err != nil {
		return nil, s.toStatus(ctx, info.FullMethod, err)
	}
	return resp, nil
}

func (s *Server) streamErrors(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := handler(srv, ss); err != nil {
		return s.toStatus(ss.Context(), info.FullMethod, err)
	}
	return nil
}

// toStatus maps the engine's error classes to gRPC codes: the one place
// that does. Errors that already carry a gRPC status pass unchanged.
func (s *Server) toStatus(ctx context.Context, method string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	code := codes.Unknown
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, errdefs.ErrConflict):
		code = codes.FailedPrecondition
	case errors.Is(err, errdefs.ErrInvalidParameter):
		code = codes.InvalidArgument
	case errors.Is(err, errdefs.ErrUnavailable):
		code = codes.Unavailable
	case errors.Is(err, errdefs.ErrForbidden):
		code = codes.PermissionDenied
	case errors.Is(err, errdefs.ErrUnauthorized):
		code = codes.Unauthenticated
	case errors.Is(err, errdefs.ErrNotImplemented):
		code = codes.Unimplemented
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	if code == codes.Unknown {
		s.cfg.Logger.ErrorContext(ctx, "CRI request failed", "method", method, "err", err)
	}
	return status.Error(code, err.Error())
}

// refuse is the error for a request field tug does not implement.
func refuse(field, why string) error {
	return status.Errorf(codes.Unimplemented, "%s: %s", field, why)
}
