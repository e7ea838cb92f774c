package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// drainTimeout bounds how long Close waits for the client to stop sending
// before the socket is closed (closing a unix socket with unread input makes
// the client's next read fail with ECONNRESET instead of EOF).
const drainTimeout = 2 * time.Second

// Conn is a connection taken over from net/http for a raw bidirectional
// stream (attach, exec). Reads return what the client sends and io.EOF once
// the client half-closes its side; writes go straight to the client.
type Conn struct {
	conn net.Conn
	br   *bufio.Reader

	rmu        sync.Mutex // serializes reads, and the final drain after them
	readClosed atomic.Bool

	hangup    chan struct{} // closed when the client hung up completely
	stopWatch func()
	untrack   func()
	closeOnce sync.Once
}

// Hijack takes over the connection of r and writes the response header:
// "101 UPGRADED" with Connection/Upgrade headers when the client asked for
// `Upgrade: tcp`, "200 OK" otherwise, both with the given Content-Type.
// Errors must be returned before calling Hijack; afterwards they can only be
// reported in the stream. The caller must Close the Conn.
func Hijack(ctx context.Context, w http.ResponseWriter, r *http.Request, contentType string) (*Conn, error) {
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, fmt.Errorf("hijack connection: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})
	header := "HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\n\r\n"
	if r.Header.Get("Upgrade") != "" {
		header = "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + contentType + "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
	}
	if _, err := nc.Write([]byte(header)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("write upgrade response: %w", err)
	}
	c := &Conn{conn: nc, br: brw.Reader, hangup: make(chan struct{}), stopWatch: func() {}, untrack: func() {}}
	if t, ok := ctx.Value(trackerKey{}).(*connTracker); ok {
		c.untrack = t.add(c)
	}
	c.stopWatch = watchHangup(nc, func() { close(c.hangup) })
	return c, nil
}

// Read reads what the client sends; io.EOF once it half-closed its side or
// after CloseRead.
func (c *Conn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.readClosed.Load() {
		return 0, io.EOF
	}
	n, err := c.br.Read(p)
	if err != nil && c.readClosed.Load() {
		err = io.EOF
	}
	return n, err
}

// CloseRead makes pending and future reads return io.EOF; the connection
// stays open for writing.
func (c *Conn) CloseRead() error {
	c.readClosed.Store(true)
	return c.conn.SetReadDeadline(time.Unix(1, 0))
}

// Write writes p to the client. Each call is written whole before another
// call's bytes, so framed writers may share the Conn.
func (c *Conn) Write(p []byte) (int, error) { return c.conn.Write(p) }

// HungUp is closed when the client closed the connection (both directions).
func (c *Conn) HungUp() <-chan struct{} { return c.hangup }

// Close ends the stream: the write side is shut so the client reads EOF,
// input still in flight is drained for a short while, and the socket closed.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.stopWatch()
		c.untrack()
		if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		_ = c.CloseRead()
		c.rmu.Lock()
		select {
		case <-c.hangup:
		default:
			_ = c.conn.SetReadDeadline(time.Now().Add(drainTimeout))
			_, _ = io.Copy(io.Discard, c.br)
		}
		c.rmu.Unlock()
		err = c.conn.Close()
	})
	return err
}

// abort closes the socket at once (server shutdown).
func (c *Conn) abort() { _ = c.conn.Close() }

// watchHangup calls hup once when the peer of nc hangs up completely (a
// half-close is not a hang-up). It waits on a duplicate of the socket in the
// runtime's poller, so it neither consumes input nor holds a thread. stop
// ends the watch.
func watchHangup(nc net.Conn, hup func()) (stop func()) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return func() {}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	dupfd := -1
	if cerr := raw.Control(func(fd uintptr) {
		dupfd, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); cerr != nil || err != nil {
		return func() {}
	}
	f := os.NewFile(uintptr(dupfd), "hijacked-conn")
	fraw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return func() {}
	}
	var stopped atomic.Bool
	go func() {
		hungUp := false
		err := fraw.Read(func(fd uintptr) bool {
			if stopped.Load() {
				return true
			}
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
			if n, err := unix.Poll(pfd, 0); err == nil && n > 0 &&
				pfd[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
				hungUp = true
				return true
			}
			return false
		})
		if hungUp && err == nil && !stopped.Load() {
			hup()
		}
		_ = err
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			stopped.Store(true)
			_ = f.Close()
		})
	}
}

// connTracker remembers hijacked connections so Shutdown can close them.
type connTracker struct {
	mu    sync.Mutex
	conns map[*Conn]struct{}
}

type trackerKey struct{}

func (t *connTracker) add(c *Conn) (remove func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns == nil {
		t.conns = map[*Conn]struct{}{}
	}
	t.conns[c] = struct{}{}
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		delete(t.conns, c)
	}
}

func (t *connTracker) closeAll() {
	t.mu.Lock()
	conns := make([]*Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.abort()
	}
}
