package container

import (
	"fmt"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"
)

// healthOptions are the --health-* flags of run and create.
type healthOptions struct {
	cmd           string
	interval      time.Duration
	timeout       time.Duration
	startPeriod   time.Duration
	startInterval time.Duration
	retries       int
	none          bool
}

func addHealthFlags(flags *pflag.FlagSet, o *healthOptions) {
	flags.StringVar(&o.cmd, "health-cmd", "", "Command to run to check health")
	flags.DurationVar(&o.interval, "health-interval", 0, "Time between running the check (ms|s|m|h) (default 0s)")
	flags.DurationVar(&o.timeout, "health-timeout", 0, "Maximum time to allow one check to run (ms|s|m|h) (default 0s)")
	flags.DurationVar(&o.startPeriod, "health-start-period", 0, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)")
	flags.DurationVar(&o.startInterval, "health-start-interval", 0, "Time between running the check during the start period (ms|s|m|h) (default 0s)")
	flags.IntVar(&o.retries, "health-retries", 0, "Consecutive failures needed to report unhealthy")
	flags.BoolVar(&o.none, "no-healthcheck", false, "Disable any container-specified HEALTHCHECK")
}

// config is the Healthcheck of the create request (nil: the image's), as
// docker/cli builds it.
func (o *healthOptions) config() (*container.HealthConfig, error) {
	set := o.cmd != "" || o.interval != 0 || o.timeout != 0 || o.startPeriod != 0 || o.startInterval != 0 || o.retries != 0
	if o.none {
		if set {
			return nil, fmt.Errorf("--no-healthcheck conflicts with --health-* options")
		}
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	if !set {
		return nil, nil
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--health-interval", o.interval}, {"--health-timeout", o.timeout}, {"--health-start-period", o.startPeriod}, {"--health-start-interval", o.startInterval}} {
		if d.v < 0 {
			return nil, fmt.Errorf("%s cannot be negative", d.name)
		}
	}
	if o.retries < 0 {
		return nil, fmt.Errorf("--health-retries cannot be negative")
	}
	hc := &container.HealthConfig{
		Interval: o.interval, Timeout: o.timeout, StartPeriod: o.startPeriod, StartInterval: o.startInterval, Retries: o.retries,
	}
	if o.cmd != "" {
		hc.Test = []string{"CMD-SHELL", o.cmd}
	}
	return hc, nil
}
