package container

import (
	"context"
	"os"
	gosignal "os/signal"

	"github.com/moby/moby/client"
	"github.com/moby/sys/signal"
	"golang.org/x/sys/unix"
)

// notifyAllSignals catches every signal for forwarding.
func notifyAllSignals() chan os.Signal {
	c := make(chan os.Signal, 128)
	gosignal.Notify(c)
	return c
}

// forwardAllSignals sends each caught signal to the container, like
// docker's --sig-proxy, skipping SIGCHLD, SIGPIPE and the runtime's SIGURG.
func forwardAllSignals(ctx context.Context, cl *client.Client, id string, sigc <-chan os.Signal) {
	for {
		var s os.Signal
		var ok bool
		select {
		case s, ok = <-sigc:
			if !ok {
				return
			}
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

// stopCatch undoes notifyAllSignals.
func stopCatch(c chan os.Signal) {
	gosignal.Stop(c)
	close(c)
}
