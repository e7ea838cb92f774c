package runtime

import (
	"context"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/tug-project/tug/internal/trace"
)

// Pool keeps one warm shim of a Binaries: `tug-shim shim --warm` already
// executed, its Go runtime up, waiting for a job on its fd 4, so that
// Spawn does not wait for a shim to be executed and initialised. Spawn
// takes it when there is one and hands it the container's flags; when
// there is none (the first start, starts at the same time) it starts a
// shim the cold way. The taken shim is replaced in the background once
// the container is created, so the replacement does not take CPU from
// the creation.
//
// A warm shim holds nothing of a container (no state dir, no cgroup) and
// exits with status 0 when its job pipe ends: when the pool is closed,
// and when tugd is gone, however it ended. One that died while waiting
// (killed) is never handed a job: Spawn starts a cold shim instead and
// the pool replaces it.
type Pool struct {
	bin   Binaries
	label string // in a warm shim's command line: which tugd it belongs to

	mu      sync.Mutex
	idle    *shimProc // the warm shim, nil when there is none
	filling bool      // a replacement is being started
	closed  bool
	broken  bool // a warm shim failed by itself: no more warm shims
	wg      sync.WaitGroup

	// Counted for tests: starts that took a warm shim, cold starts.
	warm, cold int

	// minLife is how long a warm shim must have waited for it to be
	// replaced at once when it is killed; a younger one is replaced at
	// the next Spawn, so a shim killed as soon as started is not
	// restarted in a loop.
	minLife time.Duration
}

// warmPad is the room a warm shim's command line keeps for its job's
// flags (empty arguments, which ps does not show), so that once it has
// its job ps shows the same command line as a cold shim's.
const warmPad = 2048

// NewPool returns a pool of warm shims of bin. label (tugd's exec root)
// is shown in the warm shim's command line. The first warm shim is
// started by the first Spawn.
func NewPool(bin Binaries, label string) *Pool {
	return &Pool{bin: bin, label: label, minLife: time.Second}
}

// Spawn is the package's Spawn with a warm shim when there is one.
func (p *Pool) Spawn(ctx context.Context, cfg Config) (*Client, error) {
	return spawnWith(ctx, p, p.bin, cfg)
}

// start starts the shim for a Spawn: it hands the warm shim its job, or
// starts a cold shim with args. Spawn calls refill once the container is
// created.
func (p *Pool) start(bin Binaries, args []string) (*shimProc, error) {
	env := shimEnv()
	if p != nil {
		if s := p.take(); s != nil {
			if !s.sameEnv(env) {
				s.dismiss()
			} else {
				end := trace.Span("start/shim-warm")
				err := s.hand(shimJob{Args: args})
				end()
				if err == nil {
					p.count(true)
					return s, nil
				}
				s.dismiss()
				slog.Debug("warm shim gone before its job; starting one", "pid", s.cmd.Process.Pid, "err", err)
			}
		}
		p.count(false)
	}
	end := trace.Span("start/shim-cold")
	defer end()
	return startShim(bin, append([]string{"shim"}, args...), env, false)
}

// take removes the warm shim from the pool.
func (p *Pool) take() *shimProc {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.claim()
}

// claim removes the warm shim from the pool, which stops watching it.
// Call with p.mu held.
func (p *Pool) claim() *shimProc {
	s := p.idle
	if s != nil {
		p.idle = nil
		close(s.claimed)
	}
	return s
}

func (p *Pool) count(warm bool) {
	p.mu.Lock()
	if warm {
		p.warm++
	} else {
		p.cold++
	}
	p.mu.Unlock()
}

// refill starts a warm shim in the background unless there is one, one is
// being started, or the pool is closed or broken.
func (p *Pool) refill() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle != nil || p.filling || p.closed || p.broken {
		return
	}
	p.filling = true
	p.wg.Add(1)
	go p.fill()
}

func (p *Pool) fill() {
	defer p.wg.Done()
	args := []string{"shim", "--warm"}
	if p.label != "" {
		args = append(args, p.label)
	}
	args = append(args, make([]string, warmPad)...)
	s, err := startShim(p.bin, args, shimEnv(), true)
	p.mu.Lock()
	p.filling = false
	dismissed := false
	switch {
	case err != nil:
		slog.Debug("cannot start a warm shim; the next start is cold", "err", err)
	case p.closed:
		s.dismiss()
		dismissed = true
	default:
		p.idle = s
		go p.watch(s)
	}
	p.mu.Unlock()
	if dismissed {
		<-s.exited
	}
}

// watch notices the warm shim s exit while it waits in the pool: killed,
// it is replaced (at once if it had waited minLife); exited by itself,
// warm shims do not work here and the pool stops making them.
func (p *Pool) watch(s *shimProc) {
	select {
	case <-s.exited:
	case <-s.claimed:
		return // taken or dismissed: no longer the pool's
	}
	p.mu.Lock()
	if p.idle != s {
		p.mu.Unlock()
		return // taken or dismissed
	}
	p.idle = nil
	killed := s.status.Signaled()
	if !killed {
		p.broken = true
	}
	again := killed && time.Since(s.born) >= p.minLife
	p.mu.Unlock()
	s.dismiss()
	if !killed {
		slog.Warn("a warm shim exited while waiting for a job; containers start without one", "status", s.status.ExitStatus())
		return
	}
	slog.Debug("warm shim killed while waiting; replacing it", "pid", s.cmd.Process.Pid, "signal", s.status.Signal())
	if again {
		p.refill()
	}
}

// Close ends the warm shim and waits until it has exited: a closed pool
// leaves no process. Spawn works on after Close, always cold.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	s := p.claim()
	p.mu.Unlock()
	if s != nil {
		s.dismiss()
		select {
		case <-s.exited:
		case <-time.After(2 * time.Second):
			_ = s.cmd.Process.Signal(syscall.SIGKILL)
			<-s.exited
		}
	}
	p.wg.Wait()
}
