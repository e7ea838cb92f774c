package runtime

import (
	"context"
	"errors"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/runtime/monitor"
)

// Pause freezes every process of the container (freezer cgroup).
func (c *Client) Pause(ctx context.Context) error {
	_, err := c.call(ctx, monitor.Request{Op: monitor.OpPause})
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	return err
}

// ReopenLog has the shim reopen the container's log at its path, after
// it was renamed away (a kubelet rotating a CRI log).
func (c *Client) ReopenLog(ctx context.Context) error {
	_, err := c.call(ctx, monitor.Request{Op: monitor.OpReopen})
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	return err
}

// Resume thaws a paused container.
func (c *Client) Resume(ctx context.Context) error {
	_, err := c.call(ctx, monitor.Request{Op: monitor.OpResume})
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	return err
}
