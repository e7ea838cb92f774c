package container

import (
	"context"
	"os"
	gosignal "os/signal"

	"github.com/moby/moby/client"
	"github.com/moby/sys/signal"
	"golang.org/x/sys/unix"
)

// signalProxy catches every signal the CLI receives and forwards it to a
// container, like docker's --sig-proxy.
//
// The Go runtime enables caught signals one at a time, each through a
// hand-off to its signal-mask thread: catching all ~64 of them costs
// ~2.5 ms on a 2-CPU machine, and undoing it as much. So the catching is
// begun in the background (run begins it before it creates the container
// and waits for it before it starts the container) and undone in the
// background (the CLI is about to exit).
type signalProxy struct {
	sigc   chan os.Signal
	caught chan struct{} // closed once every signal is caught
	cancel context.CancelFunc
}

// catchAllSignals begins catching every signal.
func catchAllSignals() *signalProxy {
	p := &signalProxy{sigc: make(chan os.Signal, 128), caught: make(chan struct{}), cancel: func() {}}
	go func() {
		gosignal.Notify(p.sigc)
		close(p.caught)
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

// wait returns once every signal is caught.
func (p *signalProxy) wait() { <-p.caught }

// stop ends the forwarding; the catching is undone in the background.
func (p *signalProxy) stop() {
	p.cancel()
	go func() {
		<-p.caught
		gosignal.Stop(p.sigc)
	}()
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
