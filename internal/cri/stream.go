package cri

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"

	"github.com/tug-project/tug/internal/network/bridge"
)

// DefaultStreamAddress is where the streaming server listens unless told
// otherwise: loopback, on a port the kernel picks (containerd's default
// too). The kubelet on the same host fetches the URLs it hands out.
const DefaultStreamAddress = "127.0.0.1:0"

// StreamBackend is what the streaming server needs of the engine: exec and
// attach with the client's own streams (nil: not attached). A terminal
// size sent on resize is {height, width}.
type StreamBackend interface {
	// ExecStream runs cmd in running container id (with a terminal of
	// size when tty) until its output ends, and returns its exit code.
	ExecStream(ctx context.Context, id string, cmd []string, tty bool, size *[2]uint, stdin io.Reader, stdout, stderr io.Writer, resize <-chan [2]uint) (int, error)
	// AttachStream connects the streams to running container id until
	// its output ends or ctx ends.
	AttachStream(ctx context.Context, id string, stdin io.Reader, stdout, stderr io.Writer, resize <-chan [2]uint) error
}

// streamServer is the CRI's streaming server: the Exec, Attach and
// PortForward calls hand out a one-time URL on it, which the client
// upgrades to SPDY or websocket streams (k8s.io/cri-streaming, the
// library containerd and CRI-O serve).
type streamServer struct {
	lib    streaming.Server
	http   *http.Server
	cancel context.CancelFunc

	mu       sync.Mutex
	conns    map[net.Conn]struct{} // open connections, upgraded ones too
	sessions sync.WaitGroup        // requests being served
}

// sessionsGrace bounds the wait at stop for the sessions to end (their
// execs killed, their forwarded connections closed).
const sessionsGrace = 5 * time.Second

// startStream opens the streaming server's listener and serves it.
func (s *Server) startStream() error {
	addr := cmp.Or(s.cfg.StreamAddress, DefaultStreamAddress)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cri streaming server on %s: %w", addr, err)
	}
	cfg := streaming.DefaultConfig
	cfg.Addr = l.Addr().String() // the URLs name the port picked
	lib, err := streaming.NewServer(cfg, streamRuntime{s: s})
	if err != nil {
		l.Close()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ss := &streamServer{lib: lib, cancel: cancel, conns: map[net.Conn]struct{}{}}
	ss.http = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ss.sessions.Add(1)
			defer ss.sessions.Done()
			lib.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 30 * time.Second,
		// Cancelled at stop: the sessions' execs and forwards end.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	s.stream = ss
	s.cfg.Logger.Info("CRI streaming server listening", "address", cfg.Addr)
	go func() { _ = ss.http.Serve(&trackedListener{Listener: l, s: ss}) }()
	return nil
}

// stop closes the listener and every connection, upgraded streams too
// (http.Server forgets a connection once it is hijacked), and waits a
// moment for the sessions to end: an exec whose client is gone is killed.
func (ss *streamServer) stop() {
	ss.cancel()
	_ = ss.http.Close()
	ss.mu.Lock()
	conns := make([]net.Conn, 0, len(ss.conns))
	for c := range ss.conns {
		conns = append(conns, c)
	}
	ss.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	done := make(chan struct{})
	go func() { ss.sessions.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(sessionsGrace):
	}
}

// trackedListener records the connections it accepts until they close.
type trackedListener struct {
	net.Listener
	s *streamServer
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, s: l.s}
	l.s.mu.Lock()
	l.s.conns[tc] = struct{}{}
	l.s.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	s    *streamServer
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// Exec hands out the URL of an exec session in a running container.
func (r *runtimeService) Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	c, err := r.s.runningContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if len(req.GetCmd()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "exec: no command")
	}
	req.ContainerId = c.ID
	return r.s.stream.lib.GetExec(req)
}

// Attach hands out the URL of an attach session to a running container's
// streams. A terminal or a stdin the container was not created with is
// refused.
func (r *runtimeService) Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	c, err := r.s.runningContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	insp, err := r.s.containers.Inspect(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if insp.Config == nil {
		return nil, fmt.Errorf("container %s has no config", c.ID)
	}
	if req.GetTty() && !insp.Config.Tty {
		return nil, status.Errorf(codes.InvalidArgument, "attach: tty requested but container %s has no terminal (config tty is false)", c.ID)
	}
	if req.GetStdin() && !insp.Config.OpenStdin {
		return nil, status.Errorf(codes.InvalidArgument, "attach: stdin requested but container %s was created without stdin (config stdin is false)", c.ID)
	}
	req.ContainerId = c.ID
	return r.s.stream.lib.GetAttach(req)
}

// PortForward hands out the URL of a port-forward session into a running
// pod sandbox's network namespace.
func (r *runtimeService) PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	sb, err := r.s.findSandbox(ctx, req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	if sb.State != apicontainer.StateRunning {
		return nil, status.Errorf(codes.FailedPrecondition, "pod sandbox %s is not running", sb.ID)
	}
	for _, p := range req.GetPort() {
		if p <= 0 || p > 65535 {
			return nil, status.Errorf(codes.InvalidArgument, "port-forward: invalid port %d", p)
		}
	}
	req.PodSandboxId = sb.ID
	return r.s.stream.lib.GetPortForward(req)
}

// runningContainer finds a pod's container by ID or prefix and checks
// that it runs.
func (s *Server) runningContainer(ctx context.Context, id string) (apicontainer.Summary, error) {
	c, err := s.findContainer(ctx, id)
	if err != nil {
		return c, err
	}
	if c.State != apicontainer.StateRunning {
		return c, status.Errorf(codes.FailedPrecondition, "container %s is not running", c.ID)
	}
	return c, nil
}

// streamRuntime carries out the sessions of the streaming server on the
// engine.
type streamRuntime struct{ s *Server }

var _ streaming.Runtime = streamRuntime{}

// Exec runs the session's command; a non-zero exit code goes back to the
// client as the library's exit error (crictl exits with it).
func (rt streamRuntime) Exec(ctx context.Context, id string, cmd []string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	resizes := sizes(ctx, resize)
	var size *[2]uint
	if tty && resizes != nil {
		size = firstSize(ctx, resizes)
	}
	code, err := rt.s.containers.ExecStream(ctx, id, cmd, tty, size, in, writer(out), writer(errw), resizes)
	if err != nil {
		return err
	}
	if code != 0 {
		return utilexec.CodeExitError{Err: fmt.Errorf("command %q exited with %d", cmd, code), Code: code}
	}
	return nil
}

// Attach connects the session to the container's streams.
func (rt streamRuntime) Attach(ctx context.Context, id string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	return rt.s.containers.AttachStream(ctx, id, in, writer(out), writer(errw), sizes(ctx, resize))
}

// PortForward connects stream to 127.0.0.1:port in the sandbox's network
// namespace (the pause process's), as containerd does.
func (rt streamRuntime) PortForward(ctx context.Context, sandboxID string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	netns, err := rt.s.netnsOf(ctx, sandboxID)
	if err != nil {
		return err
	}
	conn, err := dialInNetns(ctx, netns, fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("port-forward to port %d of pod sandbox %s: %w", port, sandboxID, err)
	}
	return forward(ctx, conn, stream)
}

// writer is w as an io.Writer, nil when the stream is not attached.
func writer(w io.WriteCloser) io.Writer {
	if w == nil {
		return nil
	}
	return w
}

// sizes passes the terminal sizes of a session on as {height, width};
// nil without a terminal.
func sizes(ctx context.Context, resize <-chan remotecommand.TerminalSize) <-chan [2]uint {
	if resize == nil {
		return nil
	}
	out := make(chan [2]uint)
	go func() {
		defer close(out)
		for {
			select {
			case sz, ok := <-resize:
				if !ok {
					return
				}
				select {
				case out <- [2]uint{uint(sz.Height), uint(sz.Width)}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// firstSizeWait bounds the wait for a terminal session's first size,
// which clients send as soon as the streams are up.
const firstSizeWait = time.Second

// firstSize is the first size sent on resizes, so a session's process
// starts with its terminal's size; nil when none comes in time (the
// process starts without one and the sizes that follow apply).
func firstSize(ctx context.Context, resizes <-chan [2]uint) *[2]uint {
	t := time.NewTimer(firstSizeWait)
	defer t.Stop()
	select {
	case sz, ok := <-resizes:
		if ok {
			return &sz
		}
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// forward copies between conn and stream until the pod's side ends its
// output or ctx ends; the client's end of input is passed on as a
// half-close.
func forward(ctx context.Context, conn net.Conn, stream io.ReadWriteCloser) error {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	go func() {
		_, _ = io.Copy(conn, stream)
		if tc, ok := conn.(interface{ CloseWrite() error }); ok {
			_ = tc.CloseWrite()
		}
	}()
	_, err := io.Copy(stream, conn)
	if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// dialInNetns connects to addr from inside the network namespace at path.
func dialInNetns(ctx context.Context, path, addr string) (net.Conn, error) {
	var conn net.Conn
	err := bridge.InNetNS(path, func() error {
		var err error
		d := net.Dialer{Timeout: 10 * time.Second}
		conn, err = d.DialContext(ctx, "tcp", addr)
		return err
	})
	return conn, err
}
