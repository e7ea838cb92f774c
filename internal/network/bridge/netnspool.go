package bridge

import (
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/cpuprio"
	"github.com/tug-project/tug/internal/trace"
)

// NetNSPool keeps network namespaces made ahead of need, loopback up,
// each held only by an open file: a container's start takes one instead
// of waiting for the kernel to make it (unshare and loopback, ~1 ms, more
// while other namespaces are torn down). A namespace nobody took dies
// with its file, so a pool leaves nothing behind a daemon that stops or
// crashes.
type NetNSPool struct {
	size int

	mu      sync.Mutex
	ready   []*os.File
	filling bool
	closed  bool
}

// NewNetNSPool returns a pool of size namespaces, filled in the
// background.
func NewNetNSPool(size int) *NetNSPool {
	p := &NetNSPool{size: size}
	p.refill()
	return p
}

// Take returns a namespace of the pool, or one made now when the pool is
// empty, and refills the pool in the background. The caller owns the
// file: the namespace lives until it is closed, unless something else
// (a bind mount, a process) holds it by then.
func (p *NetNSPool) Take() (*os.File, error) {
	p.mu.Lock()
	var f *os.File
	if n := len(p.ready); n > 0 {
		f = p.ready[n-1]
		p.ready = p.ready[:n-1]
	}
	p.mu.Unlock()
	p.refill()
	if f != nil {
		return f, nil
	}
	defer trace.Span("network/netns-make")()
	return makeNetNS(false)
}

// Close closes the namespaces the pool holds; Take makes each one it is
// asked for from then on.
func (p *NetNSPool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, f := range p.ready {
		f.Close()
	}
	p.ready = nil
}

// refill starts a filler unless one runs or the pool is full. The filler
// makes namespaces on a thread of the lowest priority, so that it takes
// the CPU from no start.
func (p *NetNSPool) refill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.filling || p.closed || len(p.ready) >= p.size {
		return
	}
	p.filling = true
	go func() {
		for {
			f, err := makeNetNS(true)
			p.mu.Lock()
			if err != nil || p.closed || len(p.ready) >= p.size {
				p.filling = false
				p.mu.Unlock()
				if f != nil {
					f.Close()
				}
				return
			}
			p.ready = append(p.ready, f)
			full := len(p.ready) >= p.size
			if full {
				p.filling = false
			}
			p.mu.Unlock()
			if full {
				return
			}
		}
	}()
}

// makeNetNS makes a network namespace with its loopback up and returns a
// file holding it; with niced, on a thread of the lowest priority.
func makeNetNS(niced bool) (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	res := make(chan result, 1)
	go func() {
		// A thread of its own, never returned to the scheduler pool: it
		// ends with the goroutine, in the namespace it made.
		runtime.LockOSThread()
		if niced {
			cpuprio.Lowest()
		}
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			res <- result{err: fmt.Errorf("unshare: %w", err)}
			return
		}
		f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			res <- result{err: err}
			return
		}
		// Loopback is the first link of every namespace: index 1.
		if err := netlink.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1}}); err != nil {
			f.Close()
			res <- result{err: fmt.Errorf("loopback up: %w", err)}
			return
		}
		res <- result{f: f}
	}()
	r := <-res
	return r.f, r.err
}

// MountNetNS bind-mounts the namespace ns holds at path, a new file, so
// that it outlives ns and the processes in it.
func MountNetNS(ns *os.File, path string) (retErr error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	defer func() {
		if retErr != nil {
			_ = os.Remove(path)
		}
	}()
	defer trace.Span("network/netns-bind")()
	src := fmt.Sprintf("/proc/self/fd/%d", ns.Fd())
	if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind-mounting network namespace: %w", err)
	}
	runtime.KeepAlive(ns)
	return nil
}
