package container

import apicontainer "github.com/moby/moby/api/types/container"

// SetPaused records a pause or an unpause of a running container. Call
// with the lock held.
func (c *Container) SetPaused(paused bool) {
	c.State.Paused = paused
	if paused {
		c.State.Status = apicontainer.StatePaused
	} else if c.State.Running {
		c.State.Status = apicontainer.StateRunning
	}
	c.notify()
}
