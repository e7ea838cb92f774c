package container

import (
	"context"
	"os"
	gosignal "os/signal"
	"time"

	"github.com/moby/moby/client"
	"github.com/moby/sys/signal"
	"golang.org/x/sys/unix"
)

// signalProxy catches every signal the CLI receives and forwards it to a
// container, like docker's --sig-proxy.
//
// The Go runtime enables caught signals one at a time, each through a
// hand-off to its signal-mask thread: ~40 µs apiece on a 2-CPU VM, ~2 ms
// for the 31 standard signals and as much for the 31 real-time ones, and
// as much again to undo it. So the standard signals are caught in the
// background (run begins it before it creates the container and waits for
// it before it starts the container); the real-time ones, which nothing
// sends to a CLI in its first moments, once the CLI has run for
// realtimeDelay, so that a short `run --rm` does not pay for them while
// its container starts; and nothing is undone: the CLI exits once it stops
// forwarding.
type signalProxy struct {
	sigc    chan os.Signal
	caught  chan struct{} // closed once the standard signals are caught
	stopped chan struct{} // closed by stop
	cancel  context.CancelFunc
}

// realtimeDelay is how long after it begins catching signals the proxy
// catches the real-time ones too.
const realtimeDelay = 100 * time.Millisecond

// sigrtmin is the first real-time signal (SIGRTMIN, 34 with glibc).
const sigrtmin = 34

// catchAllSignals begins catching every signal.
func catchAllSignals() *signalProxy {
	p := &signalProxy{sigc: make(chan os.Signal, 128), caught: make(chan struct{}), stopped: make(chan struct{}), cancel: func() {}}
	var standard, realtime []os.Signal
	for _, s := range signal.SignalMap {
		if s < sigrtmin {
			standard = append(standard, s)
		} else {
			realtime = append(realtime, s)
		}
	}
	go func() {
		gosignal.Notify(p.sigc, standard...)
		close(p.caught)
		t := time.NewTimer(realtimeDelay)
		defer t.Stop()
		select {
		case <-t.C:
			gosignal.Notify(p.sigc, realtime...)
		case <-p.stopped:
		}
	}()
	return p
}

// forward sends the caught signals, those caught before included, to
// container id until stop. A signal caught before the container runs is
// sent all the same, and refused by the daemon as docker's are between
// its create and start.
func (p *signalProxy) forward(ctx context.Context, cl *client.Client, id string) {
	ctx, p.cancel = context.WithCancel(ctx)
	go forwardAllSignals(ctx, cl, id, p.sigc)
}

// wait returns once the standard signals are caught.
func (p *signalProxy) wait() { <-p.caught }

// stop ends the forwarding. The signals stay caught (and are dropped)
// until the CLI exits, which it does next.
func (p *signalProxy) stop() {
	p.cancel()
	close(p.stopped)
}

// forwardAllSignals sends each caught signal to the container, like
// docker's --sig-proxy, skipping SIGCHLD, SIGPIPE and the runtime's SIGURG.
func forwardAllSignals(ctx context.Context, cl *client.Client, id string, sigc <-chan os.Signal) {
	for {
		var s os.Signal
		select {
		case s = <-sigc:
		case <-ctx.Done():
			return
		}
		if s == unix.SIGCHLD || s == unix.SIGPIPE || s == unix.SIGURG {
			continue
		}
		name := ""
		for n, v := range signal.SignalMap {
			if v == s {
				name = n
				break
			}
		}
		if name == "" {
			continue
		}
		_, _ = cl.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: name})
	}
}
