package container

import (
	"context"
	"testing"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
)

func TestShouldRestartFollowsThePolicy(t *testing.T) {
	tests := []struct {
		name     string
		policy   apicontainer.RestartPolicy
		restarts int
		code     int
		stopping bool
		want     bool
	}{
		{"no policy", apicontainer.RestartPolicy{}, 0, 1, false, false},
		{"always after success", apicontainer.RestartPolicy{Name: apicontainer.RestartPolicyAlways}, 5, 0, false, true},
		{"always, stopped by the user", apicontainer.RestartPolicy{Name: apicontainer.RestartPolicyAlways}, 0, 137, true, false},
		{"unless-stopped", apicontainer.RestartPolicy{Name: apicontainer.RestartPolicyUnlessStopped}, 0, 0, false, true},
		{"on-failure after success", apicontainer.RestartPolicy{Name: apicontainer.RestartPolicyOnFailure}, 0, 0, false, false},
		{"on-failure after failure", apicontainer.RestartPolicy{Name: apicontainer.RestartPolicyOnFailure}, 9, 1, false, true},
		{"on-failure under its retry count", apicontainer.RestartPolicy{Name: apicontainer.RestartPolicyOnFailure, MaximumRetryCount: 2}, 1, 1, false, true},
		{"on-failure at its retry count", apicontainer.RestartPolicy{Name: apicontainer.RestartPolicyOnFailure, MaximumRetryCount: 2}, 2, 1, false, false},
	}
	for _, tc := range tests {
		c := New("id", "n", time.Now())
		c.HostConfig = &apicontainer.HostConfig{RestartPolicy: tc.policy}
		c.RestartCount = tc.restarts
		if got := c.ShouldRestart(tc.code, tc.stopping); got != tc.want {
			t.Errorf("%s: ShouldRestart(%d, %v) = %v, want %v", tc.name, tc.code, tc.stopping, got, tc.want)
		}
	}
}

func TestRestartDelayDoublesFrom100msUpToACap(t *testing.T) {
	tests := []struct {
		restarts int
		want     time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{11, 100 * time.Millisecond << 10},
		{50, 100 * time.Millisecond << 10},
	}
	for _, tc := range tests {
		c := New("id", "n", time.Now())
		c.RestartCount = tc.restarts
		if got := c.RestartDelay(); got != tc.want {
			t.Errorf("RestartDelay() after %d restarts = %v, want %v", tc.restarts, got, tc.want)
		}
	}
}

func TestWaitYieldsTheExitCodeOfTheNextExit(t *testing.T) {
	c := New("id", "n", time.Now())
	c.Lock()
	c.SetRunning(42, time.Now())
	c.Unlock()
	ch := c.Wait(context.Background(), apicontainer.WaitConditionNotRunning)
	select {
	case r := <-ch:
		t.Fatalf("Wait() yielded %+v while the container runs", r)
	default:
	}
	c.Lock()
	c.SetExited(3, time.Now(), false)
	c.Unlock()
	select {
	case r := <-ch:
		if r.StatusCode != 3 {
			t.Fatalf("Wait() = %+v, want status 3", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait() did not yield after the exit")
	}
}

func TestWaitOnAStoppedContainerAnswersAtOnce(t *testing.T) {
	c := New("id", "n", time.Now())
	c.Lock()
	c.SetExited(7, time.Now(), false)
	c.Unlock()
	select {
	case r := <-c.Wait(context.Background(), ""):
		if r.StatusCode != 7 {
			t.Fatalf("Wait() = %+v, want status 7", r)
		}
	default:
		t.Fatal("Wait() on a stopped container did not answer at once")
	}
}

func TestWaitGivesUpWhenTheWaiterGoesAway(t *testing.T) {
	c := New("id", "n", time.Now())
	c.Lock()
	c.SetRunning(42, time.Now())
	c.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	ch := c.Wait(ctx, apicontainer.WaitConditionNextExit)
	cancel()
	select {
	case r, ok := <-ch:
		if ok {
			t.Fatalf("Wait() after cancel yielded %+v, want a closed channel", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait() did not close its channel after the context ended")
	}
}
