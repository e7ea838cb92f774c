package container

import (
	"errors"
	"testing"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/errdefs"
)

func TestFilter(t *testing.T) {
	c := New("abcdef"+zeros(58), "web_1", time.Now())
	c.Config = &apicontainer.Config{Labels: map[string]string{"app": "shop", "tier": ""}}
	c.HostConfig = &apicontainer.HostConfig{NetworkMode: "bridge"}
	c.Lock()
	c.SetExited(3, time.Now(), false)
	c.Unlock()
	tests := []struct {
		f    map[string][]string
		want bool
	}{
		{nil, true},
		{map[string][]string{"id": {"abc"}}, true},
		{map[string][]string{"id": {"bcd"}}, false},
		{map[string][]string{"name": {"web"}}, true},
		{map[string][]string{"name": {"^web_1$"}}, true},
		{map[string][]string{"name": {"db", "web"}}, true},
		{map[string][]string{"name": {"db"}}, false},
		{map[string][]string{"label": {"app"}}, true},
		{map[string][]string{"label": {"app=shop"}}, true},
		{map[string][]string{"label": {"app=cart"}}, false},
		{map[string][]string{"label": {"app", "tier"}}, true},
		{map[string][]string{"label": {"app", "nosuch"}}, false}, // every label must match (Compose relies on it)
		{map[string][]string{"label": {"app=shop", "app=cart"}}, false},
		{map[string][]string{"status": {"exited"}}, true},
		{map[string][]string{"status": {"running"}}, false},
		{map[string][]string{"exited": {"3"}}, true},
		{map[string][]string{"exited": {"0"}}, false},
		{map[string][]string{"status": {"exited"}, "name": {"db"}}, false},
		{map[string][]string{"ancestor": {"busybox"}}, true},
		{map[string][]string{"ancestor": {"alpine"}}, false},
	}
	for _, tt := range tests {
		f, err := NewFilter(tt.f)
		if err != nil {
			t.Fatalf("NewFilter(%v) = %v", tt.f, err)
		}
		f.Ancestor = func(_ *Container, ref string) bool { return ref == "busybox" }
		if got := f.Match(c); got != tt.want {
			t.Errorf("Match(%v) = %v, want %v", tt.f, got, tt.want)
		}
	}
	for _, bad := range []map[string][]string{{"nosuch": {"x"}}, {"status": {"sleeping"}}, {"exited": {"x"}}} {
		if _, err := NewFilter(bad); !errors.Is(err, errdefs.ErrInvalidParameter) {
			t.Errorf("NewFilter(%v) = %v, want invalid parameter", bad, err)
		}
	}
}

func TestDescribe(t *testing.T) {
	now := time.Now()
	tests := []struct {
		s    State
		want string
	}{
		{State{Status: "created"}, "Created"},
		{State{Status: "running", Running: true, StartedAt: now.Add(-3 * time.Second)}, "Up 3 seconds"},
		{State{Status: "exited", ExitCode: 2, StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-2 * time.Minute)}, "Exited (2) 2 minutes ago"},
		{State{Status: "restarting", ExitCode: 1, FinishedAt: now.Add(-5 * time.Second)}, "Restarting (1) 5 seconds ago"},
		{State{Status: "removing"}, "Removal In Progress"},
	}
	for _, tt := range tests {
		if got := tt.s.Describe(now); got != tt.want {
			t.Errorf("Describe(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}
