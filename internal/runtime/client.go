package runtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/runtime/libct"
	"github.com/tug-project/tug/internal/runtime/monitor"
	"github.com/tug-project/tug/internal/trace"
)

// Client talks to one container's shim. Its methods are safe for
// concurrent use; each call uses its own connection.
type Client struct {
	stateDir string
	sock     string

	mu  sync.Mutex
	pid int

	// attaching counts Attach calls not yet registered with the shim;
	// Start waits for them so that they see all output.
	attaching int
	attached  chan struct{} // closed when attaching drops to 0
}

func (c *Client) attachBegin() {
	c.mu.Lock()
	if c.attaching == 0 {
		c.attached = make(chan struct{})
	}
	c.attaching++
	c.mu.Unlock()
}

func (c *Client) attachRegistered() {
	c.mu.Lock()
	c.attaching--
	if c.attaching == 0 {
		close(c.attached)
	}
	c.mu.Unlock()
}

// waitAttaching waits for the Attach calls under way to be registered.
func (c *Client) waitAttaching(ctx context.Context) error {
	c.mu.Lock()
	ch := c.attached
	n := c.attaching
	c.mu.Unlock()
	if n == 0 {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errShimGone means no shim answers on the socket.
var errShimGone = errors.New("shim is gone")

// maxSockPath is the longest path a unix socket address can hold.
const maxSockPath = 107

// Binaries are the programs of a shim: the shim binary (tug-shim), which
// creates the container and is the container's init until it executes
// the user's command, and the monitor (tug-monitor), which the shim
// becomes once the container is created.
type Binaries struct {
	Shim, Monitor string
}

// Spawn starts a detached shim (its own session, stdio on /dev/null, not
// killed with the daemon) that creates the container: namespaces, cgroup,
// and an init waiting to execute the user's command (see Start). It
// returns once the container is created or creation failed; on failure
// nothing is left behind (no shim, no cgroup, no state dir). A command that
// cannot be found fails with an error of class errdefs.ErrCommandNotFound,
// one that cannot be executed with errdefs.ErrCannotInvoke. Pool.Spawn
// does the same with a shim started beforehand.
func Spawn(ctx context.Context, bin Binaries, cfg Config) (*Client, error) {
	return spawnWith(ctx, nil, bin, cfg)
}

// spawnWith is Spawn, with the warm shim of pool when it has one.
func spawnWith(ctx context.Context, pool *Pool, bin Binaries, cfg Config) (*Client, error) {
	if cfg.ID == "" || cfg.Bundle == "" || cfg.StateDir == "" {
		return nil, errdefs.InvalidParameter("runtime: ID, Bundle and StateDir are required")
	}
	sock := filepath.Join(cfg.StateDir, monitor.SockName)
	if len(sock) > maxSockPath {
		return nil, errdefs.InvalidParameter("runtime: state dir %s is too long for a unix socket", cfg.StateDir)
	}
	if c, err := Connect(ctx, cfg.StateDir); err == nil {
		c.Close()
		return nil, errdefs.Conflict("container %s is already running", cfg.ID)
	}
	if err := RemoveState(cfg.StateDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.StateDir, 0o711); err != nil {
		return nil, err
	}
	fail := func(err error) (*Client, error) {
		if rerr := RemoveState(cfg.StateDir); rerr != nil {
			return nil, fmt.Errorf("%w (cleanup: %v)", err, rerr)
		}
		return nil, err
	}

	endSeccomp := trace.Span("start/seccomp-precompiled")
	if err := libct.PrecompileSeccomp(cfg.Bundle); err != nil {
		slog.DebugContext(ctx, "seccomp filter not precompiled: the container's init compiles it", "id", cfg.ID, "err", err)
	}
	endSeccomp()
	shim, err := pool.start(bin, shimArgs(bin, cfg))
	if err != nil {
		return fail(fmt.Errorf("start shim: %w", err))
	}
	defer shim.result.Close()
	// The next warm shim is started once this container is created: not
	// while the creation needs the CPU (measured: starting it at once
	// made starts slower, at nice 19 or not).
	defer pool.refill()

	type result struct {
		resp monitor.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		res.err = json.NewDecoder(shim.result).Decode(&res.resp)
		done <- res
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		shim.kill()
		return fail(ctx.Err())
	}
	if res.err != nil || res.resp.Err != "" {
		<-shim.exited // the shim exits after a failed creation
		if res.err != nil {
			return fail(fmt.Errorf("shim exited before creating the container: %w", res.err))
		}
		return fail(res.resp.AsError())
	}
	// The shim is reaped (startShim) if it ends while we run.
	return &Client{stateDir: cfg.StateDir, sock: sock, pid: res.resp.Pid}, nil
}

// shimArgs are the flags of the shim that creates cfg's container.
func shimArgs(bin Binaries, cfg Config) []string {
	args := []string{"--sync", "--monitor", bin.Monitor,
		"--id", cfg.ID, "--bundle", cfg.Bundle, "--state-dir", cfg.StateDir, "--log", cfg.LogPath}
	args = append(args, monitor.StreamArgs(cfg.LogRotate, cfg.LogFormat, cfg.Terminal, cfg.OpenStdin, cfg.StdinOnce)...)
	if cfg.IdleExit != 0 {
		args = append(args, "--idle-exit", cfg.IdleExit.String())
	}
	if cfg.MonitorGrace != 0 {
		args = append(args, "--monitor-grace", cfg.MonitorGrace.String())
	}
	return args
}

// shimEnv is the shim's environment: the daemon's, with a small Go
// runtime. One P: a shim copies a container's output and waits, and each
// P costs a shim threads and per-P caches (measured: 2.5 MB private memory
// with two, 2.2 MB with one).
func shimEnv() []string {
	env := os.Environ()
	if os.Getenv("GOMAXPROCS") == "" {
		env = append(env, "GOMAXPROCS=1")
	}
	return env
}

// RemoveState removes what a shim left in stateDir: a container whose shim
// is gone is killed and destroyed (cgroups, libcontainer state), then the
// directory is removed. After a shim that cleaned up, only the directory
// is left to remove.
func RemoveState(stateDir string) error {
	root := filepath.Join(stateDir, monitor.LibctName)
	ents, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, e := range ents {
		if err := libct.Destroy(root, e.Name()); err != nil {
			return fmt.Errorf("destroy container %s: %w", e.Name(), err)
		}
	}
	return os.RemoveAll(stateDir)
}

// Connect reconnects to the shim in stateDir (after a daemon restart). It
// returns an error of class errdefs.ErrNotFound when no shim answers; the
// exit status may then be in ReadExit.
func Connect(ctx context.Context, stateDir string) (*Client, error) {
	c := &Client{stateDir: stateDir, sock: filepath.Join(stateDir, monitor.SockName)}
	resp, err := c.call(ctx, monitor.Request{Op: monitor.OpState})
	if err != nil {
		if errors.Is(err, errShimGone) {
			return nil, errdefs.NotFound("no shim in %s", stateDir)
		}
		return nil, err
	}
	c.pid = resp.Pid
	return c, nil
}

func (c *Client) dial(ctx context.Context) (*net.UnixConn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.sock)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, errShimGone
		}
		return nil, err
	}
	return conn.(*net.UnixConn), nil
}

func writeRequest(conn net.Conn, req monitor.Request) error {
	b, _ := json.Marshal(req)
	_, err := conn.Write(append(b, '\n'))
	return err
}

func readResponse(br *bufio.Reader) (monitor.Response, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			return monitor.Response{}, errShimGone
		}
		return monitor.Response{}, err
	}
	var resp monitor.Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return monitor.Response{}, fmt.Errorf("shim protocol: %w", err)
	}
	return resp, resp.AsError()
}

// call does one request on a fresh connection; ctx cancels it.
func (c *Client) call(ctx context.Context, req monitor.Request) (monitor.Response, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return monitor.Response{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := writeRequest(conn, req); err != nil {
		return monitor.Response{}, ctxErr(ctx, err)
	}
	resp, err := readResponse(bufio.NewReaderSize(conn, 512))
	return resp, ctxErr(ctx, err)
}

func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Start lets the container's init execute the user's command and returns
// its pid. Attach calls already running on this Client are registered
// first, so they see all output.
func (c *Client) Start(ctx context.Context) (int, error) {
	if err := c.waitAttaching(ctx); err != nil {
		return 0, err
	}
	resp, err := c.call(ctx, monitor.Request{Op: monitor.OpStart})
	if err != nil {
		if errors.Is(err, errShimGone) {
			return 0, errdefs.Conflict("container has exited")
		}
		return 0, err
	}
	c.mu.Lock()
	c.pid = resp.Pid
	c.mu.Unlock()
	return resp.Pid, nil
}

// Pid is the host pid of the container's init.
func (c *Client) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pid
}

// Resize sets the size of the container's terminal (no-op without one).
func (c *Client) Resize(ctx context.Context, height, width uint) error {
	_, err := c.call(ctx, monitor.Request{Op: monitor.OpResize, Height: height, Width: width})
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	return err
}

// Kill sends sig to the container's init. It fails with an error of class
// errdefs.ErrConflict when the container is not running.
func (c *Client) Kill(ctx context.Context, sig syscall.Signal) error {
	_, err := c.call(ctx, monitor.Request{Op: monitor.OpKill, Signal: int(sig)})
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	return err
}

// Wait blocks until the container has exited (returns at once if it has).
func (c *Client) Wait(ctx context.Context) (Exit, error) {
	resp, err := c.call(ctx, monitor.Request{Op: monitor.OpWait})
	if errors.Is(err, errShimGone) {
		e, rerr := ReadExit(c.stateDir)
		if errors.Is(rerr, errdefs.ErrNotFound) {
			return Exit{}, errdefs.Unavailable("shim for %s is gone without recording an exit status", c.stateDir)
		}
		return e, rerr
	}
	if err != nil {
		return Exit{}, err
	}
	if resp.Exit == nil {
		return Exit{}, errors.New("shim protocol: wait without exit status")
	}
	return *resp.Exit, nil
}

// Shutdown ends a shim whose container has exited: the container is
// destroyed (cgroup removed), the shim exits and StateDir is removed. A
// shim that is already gone has its leftovers removed.
func (c *Client) Shutdown(ctx context.Context) error {
	conn, err := c.dial(ctx)
	if errors.Is(err, errShimGone) {
		return RemoveState(c.stateDir)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := writeRequest(conn, monitor.Request{Op: monitor.OpShutdown}); err != nil {
		return ctxErr(ctx, err)
	}
	br := bufio.NewReaderSize(conn, 512)
	if _, err := readResponse(br); err != nil {
		if errors.Is(err, errShimGone) {
			return RemoveState(c.stateDir)
		}
		return ctxErr(ctx, err)
	}
	_, _ = io.Copy(io.Discard, br) // EOF: the shim has exited
	return ctxErr(ctx, nil)
}

// Close releases the client; the shim and container keep running.
func (c *Client) Close() error {
	return nil
}

// Attach copies the container's output to s.Stdout and s.Stderr (with a
// terminal everything is stdout) and s.Stdin to the container, until the
// output ends (nil), the detach keys are typed (ErrDetached) or ctx is done.
// Attaching to a container that has exited returns nil at once.
func (c *Client) Attach(ctx context.Context, s AttachStreams) error {
	c.attachBegin()
	var once sync.Once
	registered := func() { once.Do(c.attachRegistered) }
	defer registered()

	conn, err := c.dial(ctx)
	if errors.Is(err, errShimGone) {
		return nil
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := writeRequest(conn, monitor.Request{Op: monitor.OpAttach, Stdin: s.Stdin != nil}); err != nil {
		return ctxErr(ctx, err)
	}
	br := bufio.NewReaderSize(conn, 32<<10)
	if _, err := readResponse(br); err != nil {
		if errors.Is(err, errShimGone) {
			return nil
		}
		return ctxErr(ctx, err)
	}
	registered()
	if s.Attached != nil {
		s.Attached()
	}

	return streamFrames(ctx, conn, br, s)
}

// copyStdin sends r to the shim as stdin frames, watching for the detach
// keys: bytes that may start them are held back until they do not.
func copyStdin(conn *net.UnixConn, r io.Reader, keys []byte, detached chan struct{}) {
	buf := make([]byte, 32<<10)
	var out []byte
	held := 0
	send := func() bool {
		for len(out) > 0 {
			n := min(len(out), monitor.MaxFrame)
			if _, err := conn.Write(monitor.MakeFrame(monitor.FrameStdin, out[:n])); err != nil {
				return false
			}
			out = out[n:]
		}
		return true
	}
	for {
		n, err := r.Read(buf)
		out = out[:0]
		for _, b := range buf[:n] {
			if len(keys) > 0 {
				if b == keys[held] {
					held++
					if held == len(keys) {
						send()
						close(detached)
						conn.Close()
						return
					}
					continue
				}
				if held > 0 {
					out = append(out, keys[:held]...)
					held = 0
					if b == keys[0] {
						held = 1
						continue
					}
				}
			}
			out = append(out, b)
		}
		if !send() {
			return
		}
		if err != nil {
			out = append(out[:0], keys[:held]...)
			if send() {
				_, _ = conn.Write(monitor.MakeFrame(monitor.FrameStdinEOF, nil))
			}
			return
		}
	}
}

// String names the shim for logs.
func (c *Client) String() string {
	return "shim(" + c.stateDir + ", pid " + strconv.Itoa(c.Pid()) + ")"
}
