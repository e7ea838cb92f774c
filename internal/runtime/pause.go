package runtime

import (
	"context"
	"errors"

	"github.com/tug-project/tug/internal/errdefs"
)

// freeze pauses (or resumes) the container's processes through the
// freezer cgroup.
func (s *shim) freeze(pause bool) response {
	if _, ok := s.main.exitStatus(); ok {
		return errResponse(errdefs.Conflict("container %s is not running", s.cfg.ID))
	}
	var err error
	if pause {
		err = s.ct.Pause()
	} else {
		err = s.ct.Resume()
	}
	if err != nil {
		return errResponse(err)
	}
	return response{}
}

// Pause freezes every process of the container (freezer cgroup).
func (c *Client) Pause(ctx context.Context) error {
	_, err := c.call(ctx, request{Op: opPause})
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	return err
}

// ReopenLog has the shim reopen the container's log at its path, after
// it was renamed away (a kubelet rotating a CRI log).
func (c *Client) ReopenLog(ctx context.Context) error {
	_, err := c.call(ctx, request{Op: opReopen})
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	return err
}

// Resume thaws a paused container.
func (c *Client) Resume(ctx context.Context) error {
	_, err := c.call(ctx, request{Op: opResume})
	if errors.Is(err, errShimGone) {
		return errdefs.Conflict("container is not running")
	}
	return err
}
