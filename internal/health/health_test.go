package health

import (
	"context"
	"strings"
	"testing"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
)

func TestFromConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		hc   *apicontainer.HealthConfig
		cmd  []string
		err  bool
	}{
		{name: "none", hc: nil},
		{name: "empty", hc: &apicontainer.HealthConfig{}},
		{name: "NONE", hc: &apicontainer.HealthConfig{Test: []string{"NONE"}}},
		{name: "CMD", hc: &apicontainer.HealthConfig{Test: []string{"CMD", "true", "x"}}, cmd: []string{"true", "x"}},
		{name: "CMD-SHELL", hc: &apicontainer.HealthConfig{Test: []string{"CMD-SHELL", "exit 1"}}, cmd: []string{"/bin/sh", "-c", "exit 1"}},
		{name: "bad type", hc: &apicontainer.HealthConfig{Test: []string{"RUN", "x"}}, err: true},
		{name: "CMD without command", hc: &apicontainer.HealthConfig{Test: []string{"CMD"}}, err: true},
	} {
		cfg, err := FromConfig(tc.hc, nil)
		if (err != nil) != tc.err {
			t.Errorf("%s: FromConfig() error = %v, want error %v", tc.name, err, tc.err)
			continue
		}
		if tc.cmd == nil {
			if cfg != nil {
				t.Errorf("%s: FromConfig() = %+v, want nil", tc.name, cfg)
			}
			continue
		}
		if strings.Join(cfg.Cmd, "|") != strings.Join(tc.cmd, "|") {
			t.Errorf("%s: Cmd = %q, want %q", tc.name, cfg.Cmd, tc.cmd)
		}
		if cfg.Interval != DefaultInterval || cfg.Timeout != DefaultTimeout || cfg.Retries != DefaultRetries || cfg.StartInterval != DefaultStartInterval {
			t.Errorf("%s: defaults not applied: %+v", tc.name, cfg)
		}
	}
}

func TestRecordTransitions(t *testing.T) {
	started := time.Unix(1000, 0)
	cfg := &Config{Retries: 2, StartPeriod: 10 * time.Second}
	at := func(sec int, code int) *apicontainer.HealthcheckResult {
		return &apicontainer.HealthcheckResult{Start: started.Add(time.Duration(sec) * time.Second), ExitCode: code}
	}
	h := Reset(nil)
	steps := []struct {
		r       *apicontainer.HealthcheckResult
		status  apicontainer.HealthStatus
		streak  int
		changed bool
	}{
		{at(1, 1), apicontainer.Starting, 0, false}, // within the start period: not counted
		{at(2, 1), apicontainer.Starting, 0, false},
		{at(11, 1), apicontainer.Starting, 1, false}, // after it: counted
		{at(12, 1), apicontainer.Unhealthy, 2, true},
		{at(13, 0), apicontainer.Healthy, 0, true},
		{at(14, 1), apicontainer.Healthy, 1, false},
		{at(15, -1), apicontainer.Unhealthy, 2, true},
	}
	for i, s := range steps {
		changed := Record(h, cfg, started, s.r)
		if h.Status != s.status || h.FailingStreak != s.streak || changed != s.changed {
			t.Errorf("step %d: status %s streak %d changed %v, want %s %d %v", i, h.Status, h.FailingStreak, changed, s.status, s.streak, s.changed)
		}
	}
	if len(h.Log) != MaxLogEntries || h.Log[MaxLogEntries-1].ExitCode != -1 {
		t.Errorf("log keeps %d entries ending with %+v, want the last %d", len(h.Log), h.Log[len(h.Log)-1], MaxLogEntries)
	}
	// A healthy container within its start period counts failures.
	h2 := Reset(nil)
	Record(h2, cfg, started, at(1, 0))
	Record(h2, cfg, started, at(2, 1))
	if h2.FailingStreak != 1 {
		t.Errorf("healthy within start period: streak %d, want 1", h2.FailingStreak)
	}
	// A restart resets the streak and status, keeps the log.
	Reset(h2)
	if h2.Status != apicontainer.Starting || h2.FailingStreak != 0 || len(h2.Log) != 2 {
		t.Errorf("after Reset: %+v", h2)
	}
}

func TestRecordTruncatesOutput(t *testing.T) {
	h := Reset(nil)
	Record(h, &Config{Retries: 3}, time.Now(), &apicontainer.HealthcheckResult{Output: strings.Repeat("x", MaxOutputLen+10)})
	if len(h.Log[0].Output) != MaxOutputLen {
		t.Errorf("output kept %d bytes, want %d", len(h.Log[0].Output), MaxOutputLen)
	}
}

func TestInterval(t *testing.T) {
	cfg := &Config{Interval: 30 * time.Second, StartInterval: time.Second, StartPeriod: 10 * time.Second}
	started := time.Unix(1000, 0)
	for _, tc := range []struct {
		after  time.Duration
		status apicontainer.HealthStatus
		want   time.Duration
	}{
		{time.Second, apicontainer.Starting, time.Second},
		{time.Second, apicontainer.Healthy, 30 * time.Second},
		{11 * time.Second, apicontainer.Starting, 30 * time.Second},
	} {
		if got := Interval(cfg, started, tc.status, started.Add(tc.after)); got != tc.want {
			t.Errorf("Interval(%v, %s) = %v, want %v", tc.after, tc.status, got, tc.want)
		}
	}
}

func TestRunTimeoutAndSkip(t *testing.T) {
	cfg := &Config{Cmd: []string{"x"}, Interval: time.Millisecond, StartInterval: time.Millisecond, Timeout: 20 * time.Millisecond, Retries: 1}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	probe := func(ctx context.Context, cmd []string) (int, string, error) {
		calls++
		if calls == 1 {
			return 0, "", ErrSkip
		}
		<-ctx.Done()
		return 0, "", ctx.Err()
	}
	got := make(chan *apicontainer.HealthcheckResult, 1)
	go Run(ctx, cfg, time.Now(), apicontainer.Starting, probe, func(r *apicontainer.HealthcheckResult) apicontainer.HealthStatus {
		select {
		case got <- r:
		default:
		}
		return apicontainer.Unhealthy
	})
	select {
	case r := <-got:
		if r.ExitCode != -1 || r.Output != "Health check exceeded timeout (20ms)" {
			t.Errorf("timed-out probe recorded as %d %q", r.ExitCode, r.Output)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no result recorded")
	}
}
