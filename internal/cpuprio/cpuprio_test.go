package cpuprio

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLowestNicesOnlyTheCallersThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		nice int
		err  error
	}
	done := make(chan result)
	go func() {
		Lowest()
		// getpriority(2) returns 20 - nice.
		p, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
		done <- result{20 - p, err}
	}()
	r := <-done
	if r.err != nil || r.nice != 19 {
		t.Errorf("nice after Lowest = %d, %v; want 19", r.nice, r.err)
	}
	if now, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid()); err != nil || now != self {
		t.Errorf("the test's own thread went from priority %d to %d (%v)", self, now, err)
	}
}
