package container

import (
	"context"
	"os"
	gosignal "os/signal"
	"time"

	"github.com/moby/moby/client"
	"github.com/tug-project/tug/internal/cli/command"
	"golang.org/x/sys/unix"
)

func resizeTo(ctx context.Context, c *command.Cli, id string, h, w uint) error {
	if h == 0 && w == 0 {
		return nil
	}
	_, err := c.Client().ContainerResize(ctx, id, client.ContainerResizeOptions{Height: h, Width: w})
	return err
}

// monitorTtySize sends the terminal size now (retrying briefly while the
// container starts) and again on every SIGWINCH until ctx ends.
func monitorTtySize(ctx context.Context, c *command.Cli, id string) {
	go func() {
		for i := 0; i < 10; i++ {
			h, w := c.Out().TtySize()
			if resizeTo(ctx, c, id, h, w) == nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(i+1) * 10 * time.Millisecond):
			}
		}
	}()
	sigc := make(chan os.Signal, 1)
	gosignal.Notify(sigc, unix.SIGWINCH)
	go func() {
		defer gosignal.Stop(sigc)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sigc:
				h, w := c.Out().TtySize()
				_ = resizeTo(ctx, c, id, h, w)
			}
		}
	}()
}
