package container

import (
	"context"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
)

// ShouldRestart reports whether the restart policy brings c back after an
// exit with code; stopping is true when a user stopped it. Call with the
// lock held.
func (c *Container) ShouldRestart(code int, stopping bool) bool {
	if stopping || c.HostConfig == nil {
		return false
	}
	rp := c.HostConfig.RestartPolicy
	switch rp.Name {
	case apicontainer.RestartPolicyAlways, apicontainer.RestartPolicyUnlessStopped:
		return true
	case apicontainer.RestartPolicyOnFailure:
		return code != 0 && (rp.MaximumRetryCount == 0 || c.RestartCount < rp.MaximumRetryCount)
	}
	return false
}

// RestartDelay is Docker's back-off before restart number RestartCount:
// 100 ms, doubling, at most 100 ms << 10. Call with the lock held.
func (c *Container) RestartDelay() time.Duration {
	return 100 * time.Millisecond << min(max(c.RestartCount-1, 0), 10)
}

// WaitNotRunning returns a channel closed once c is not running, watching
// from changed (c.Changed() read under the lock, with the state that made
// the caller wait). When abandon is closed first it gives up without
// closing the channel, so a waiter that goes away leaves no goroutine.
func (c *Container) WaitNotRunning(changed, abandon <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-changed:
			case <-abandon:
				return
			}
			c.Lock()
			running := c.State.Running
			changed = c.Changed()
			c.Unlock()
			if !running {
				close(done)
				return
			}
		}
	}()
	return done
}

// Wait returns a channel that yields c's exit status once cond holds (as
// POST /containers/{id}/wait): not-running (the default) is met at once
// by a container that is not running or restarting, else at its next exit
// (a container with a restart policy is waited for until its first exit,
// not through its restarts, as Docker does); next-exit at the next exit;
// removed once c is removed. A start that fails ends the wait too, with
// its error. The channel is closed without a value when ctx ends first.
func (c *Container) Wait(ctx context.Context, cond apicontainer.WaitCondition) <-chan apicontainer.WaitResponse {
	out := make(chan apicontainer.WaitResponse, 1)
	c.Lock()
	changed := c.Changed()
	running := c.State.Running || c.State.Status == apicontainer.StateRestarting
	code := c.State.ExitCode
	seen := c.exit.seq
	c.Unlock()
	if cond == "" {
		cond = apicontainer.WaitConditionNotRunning
	}
	if cond == apicontainer.WaitConditionNotRunning && !running {
		out <- apicontainer.WaitResponse{StatusCode: int64(code)}
		return out
	}
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.Removed():
				c.Lock()
				code := c.exit.code
				if c.exit.seq == 0 {
					code = c.State.ExitCode
				}
				c.Unlock()
				out <- apicontainer.WaitResponse{StatusCode: int64(code)}
				return
			case <-changed:
			}
			c.Lock()
			changed = c.Changed()
			e := c.exit
			c.Unlock()
			if cond == apicontainer.WaitConditionRemoved || e.seq == seen {
				continue
			}
			resp := apicontainer.WaitResponse{StatusCode: int64(e.code)}
			if e.err != "" {
				resp.Error = &apicontainer.WaitExitError{Message: e.err}
			}
			out <- resp
			return
		}
	}()
	return out
}
