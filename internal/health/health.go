package health

import (
	"context"
	"errors"
	"fmt"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
)

// Docker's defaults and limits.
const (
	DefaultInterval      = 30 * time.Second
	DefaultTimeout       = 30 * time.Second
	DefaultStartInterval = 5 * time.Second
	DefaultRetries       = 3
	MaxLogEntries        = 5
	MaxOutputLen         = 4096
	// MinDuration is the shortest interval, timeout, start period or start
	// interval the API accepts (other than 0, the default).
	MinDuration = time.Millisecond
)

// Config is a container's health check with Docker's defaults applied.
type Config struct {
	Cmd           []string // the probe's argv
	Interval      time.Duration
	Timeout       time.Duration
	StartPeriod   time.Duration
	StartInterval time.Duration
	Retries       int
}

// FromConfig turns a container's HEALTHCHECK into a Config: nil when it
// has none (no config, an empty test, or NONE). shell is the container's
// SHELL for CMD-SHELL tests (/bin/sh -c when empty).
func FromConfig(hc *apicontainer.HealthConfig, shell []string) (*Config, error) {
	if hc == nil || len(hc.Test) == 0 {
		return nil, nil
	}
	cfg := &Config{
		Interval:      orDefault(hc.Interval, DefaultInterval),
		Timeout:       orDefault(hc.Timeout, DefaultTimeout),
		StartPeriod:   hc.StartPeriod,
		StartInterval: orDefault(hc.StartInterval, DefaultStartInterval),
		Retries:       hc.Retries,
	}
	if cfg.Retries <= 0 {
		cfg.Retries = DefaultRetries
	}
	switch hc.Test[0] {
	case "NONE":
		return nil, nil
	case "CMD":
		cfg.Cmd = hc.Test[1:]
	case "CMD-SHELL":
		if len(shell) == 0 {
			shell = []string{"/bin/sh", "-c"}
		}
		if len(hc.Test) < 2 {
			return nil, errors.New("healthcheck: CMD-SHELL needs a command")
		}
		cfg.Cmd = append(append([]string{}, shell...), hc.Test[1])
	default:
		return nil, fmt.Errorf("unknown healthcheck type '%s' (expected 'CMD' or 'CMD-SHELL')", hc.Test[0])
	}
	if len(cfg.Cmd) == 0 {
		return nil, errors.New("healthcheck: CMD needs a command")
	}
	return cfg, nil
}

// Validate checks the durations and retries of a HEALTHCHECK with Docker's
// texts (the create request's validation).
func Validate(hc *apicontainer.HealthConfig) error {
	if hc == nil {
		return nil
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Interval", hc.Interval}, {"Timeout", hc.Timeout}, {"StartPeriod", hc.StartPeriod}, {"StartInterval", hc.StartInterval}} {
		if d.v != 0 && d.v < MinDuration {
			return fmt.Errorf("%s in Healthcheck cannot be less than %s", d.name, MinDuration)
		}
	}
	if hc.Retries < 0 {
		return errors.New("Retries in Healthcheck cannot be negative")
	}
	return nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// Reset puts h (a new one when nil) in the starting state for a start of
// the container: the failing streak is reset, the log kept.
func Reset(h *apicontainer.Health) *apicontainer.Health {
	if h == nil {
		h = &apicontainer.Health{Log: []*apicontainer.HealthcheckResult{}}
	}
	h.Status = apicontainer.Starting
	h.FailingStreak = 0
	return h
}

// Record applies a probe result to h as Docker does: the result joins the
// log (the last MaxLogEntries kept); exit 0 makes the container healthy;
// a failure adds to the failing streak, except while the container is
// still starting within its start period, and Retries failures in a row
// make it unhealthy. It reports whether the status changed.
func Record(h *apicontainer.Health, cfg *Config, startedAt time.Time, r *apicontainer.HealthcheckResult) bool {
	old := h.Status
	if len(r.Output) > MaxOutputLen {
		r.Output = r.Output[:MaxOutputLen]
	}
	h.Log = append(h.Log, r)
	if len(h.Log) > MaxLogEntries {
		h.Log = append([]*apicontainer.HealthcheckResult{}, h.Log[len(h.Log)-MaxLogEntries:]...)
	}
	if r.ExitCode == 0 {
		h.FailingStreak = 0
		h.Status = apicontainer.Healthy
	} else if h.Status != apicontainer.Starting || r.Start.Sub(startedAt) >= cfg.StartPeriod {
		h.FailingStreak++
		if h.FailingStreak >= cfg.Retries {
			h.Status = apicontainer.Unhealthy
		}
	}
	return h.Status != old
}

// Interval is the wait before the next probe: the start interval while
// the container is starting within its start period, else the interval.
func Interval(cfg *Config, startedAt time.Time, status apicontainer.HealthStatus, now time.Time) time.Duration {
	if now.Sub(startedAt) < cfg.StartPeriod && status == apicontainer.Starting {
		return cfg.StartInterval
	}
	return cfg.Interval
}

// ErrSkip, returned by a probe, skips this round without a result (a
// paused container is not probed).
var ErrSkip = errors.New("probe skipped")

// Probe runs the check once; a probe that outlives ctx returns ctx's error.
type Probe func(ctx context.Context, cmd []string) (exitCode int, output string, err error)

// Run probes every interval until ctx ends, handing each result to record,
// which returns the status after it. status is the status to start from
// (starting after a start; the recorded one after a daemon restart).
func Run(ctx context.Context, cfg *Config, startedAt time.Time, status apicontainer.HealthStatus, probe Probe, record func(*apicontainer.HealthcheckResult) apicontainer.HealthStatus) {
	timer := time.NewTimer(Interval(cfg, startedAt, status, time.Now()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		r, ok := runOnce(ctx, cfg, probe)
		if ctx.Err() != nil {
			return
		}
		if ok {
			status = record(r)
		}
		timer.Reset(Interval(cfg, startedAt, status, time.Now()))
	}
}

// runOnce runs one probe under the check's timeout; false when skipped.
func runOnce(ctx context.Context, cfg *Config, probe Probe) (*apicontainer.HealthcheckResult, bool) {
	pctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	start := time.Now()
	code, out, err := probe(pctx, cfg.Cmd)
	r := &apicontainer.HealthcheckResult{Start: start, End: time.Now(), ExitCode: code, Output: out}
	switch {
	case errors.Is(err, ErrSkip):
		return nil, false
	case err != nil && pctx.Err() != nil && ctx.Err() == nil:
		r.ExitCode = -1
		r.Output = fmt.Sprintf("Health check exceeded timeout (%v)", cfg.Timeout)
	case err != nil:
		r.ExitCode = -1
		r.Output = err.Error()
	}
	return r, true
}

// Copy returns a deep copy of h (nil for nil), for readers outside the
// container's lock.
func Copy(h *apicontainer.Health) *apicontainer.Health {
	if h == nil {
		return nil
	}
	c := *h
	c.Log = make([]*apicontainer.HealthcheckResult, len(h.Log))
	for i, r := range h.Log {
		rc := *r
		c.Log[i] = &rc
	}
	return &c
}
