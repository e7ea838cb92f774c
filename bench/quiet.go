package main

import (
	"context"
	"time"
)

// The machine is quiet when less than quietBusy of its CPU time was busy
// over quietWindow; settleMachine waits at most quietMax for that.
const (
	quietBusy   = 0.15
	quietWindow = 300 * time.Millisecond
	quietMax    = 10 * time.Second
)

// settleMachine waits until the machine is quiet, so that the work one engine
// leaves running after its measurement (containerd's garbage collection,
// the kernel's teardown of network namespaces, a daemon's deferred
// removals) is not charged to the next measurement, of the other engine.
// On a machine that never quiets down it gives up after quietMax.
func settleMachine(ctx context.Context) { waitQuiet(ctx, quietWindow, quietMax) }

// settleAfterSetup waits, at most setupQuietMax, until the machine has been
// quiet for a whole setupQuietWindow: the engines' set-up (tugd's start,
// the image imports, dockerd's and containerd's work after them) goes on
// in bursts past a single quiet window, and was charged to the first
// row's measurement (the bench's first `run --rm` median was up to 10 ms
// above the same command's in a later row).
func settleAfterSetup(ctx context.Context) { waitQuiet(ctx, setupQuietWindow, setupQuietMax) }

const (
	setupQuietWindow = 3 * time.Second
	setupQuietMax    = 30 * time.Second
)

// waitQuiet waits, at most max, until less than quietBusy of the machine's
// CPU time was busy over a whole window.
func waitQuiet(ctx context.Context, window, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		b0, t0, err := machineTicks() // ops.go
		if err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(window):
		}
		b1, t1, err := machineTicks()
		if err != nil || t1 == t0 {
			return
		}
		if float64(b1-b0)/float64(t1-t0) < quietBusy {
			return
		}
	}
}
