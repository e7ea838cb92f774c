package testutil

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestWaitFor(t *testing.T) {
	n := 0
	if !WaitFor(time.Second, func() bool { n++; return n == 3 }) {
		t.Errorf("WaitFor(a condition true on the third call) = false, want true")
	}
	if n != 3 {
		t.Errorf("condition called %d times, want 3", n)
	}
	start := time.Now()
	if WaitFor(50*time.Millisecond, func() bool { return false }) {
		t.Errorf("WaitFor(never) = true, want false")
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > time.Second {
		t.Errorf("WaitFor(never, 50ms) returned after %v", d)
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and
// ends the goroutine, as testing.T's does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = format
	runtime.Goexit()
}

func TestEventually(t *testing.T) {
	run := func(cond func() bool) string {
		f := &fatalRecorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Eventually(f, 30*time.Millisecond, cond)
		}()
		<-done
		return f.msg
	}
	if msg := run(func() bool { return true }); msg != "" {
		t.Errorf("Eventually(true) failed the test: %q", msg)
	}
	if msg := run(func() bool { return false }); !strings.Contains(msg, "not met") {
		t.Errorf("Eventually(never) did not fail the test (Fatalf %q)", msg)
	}
}
