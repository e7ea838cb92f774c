package testutil

import (
	"testing"
	"time"
)

// pollInterval is how often WaitFor and Eventually check their condition.
const pollInterval = 5 * time.Millisecond

// WaitFor polls cond every few milliseconds until it returns true, and
// reports whether it did within timeout. For callers that handle a
// timeout themselves (a retry, a cleanup); tests use Eventually.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
}

// Eventually polls cond every few milliseconds until it returns true, and
// fails the test if it has not within timeout.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !WaitFor(timeout, cond) {
		t.Fatalf("condition not met within %v", timeout)
	}
}
