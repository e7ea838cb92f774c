package container

import (
	"fmt"
	"time"

	"github.com/docker/go-units"
	apicontainer "github.com/moby/moby/api/types/container"
)

// Describe returns Docker's human status of a state at now: "Up 3 seconds",
// "Exited (0) 2 minutes ago", "Created", "Restarting (1) 5 seconds ago".
func (s State) Describe(now time.Time) string {
	switch {
	case s.Running && s.Paused:
		return fmt.Sprintf("Up %s (Paused)", units.HumanDuration(now.Sub(s.StartedAt)))
	case s.Running && s.Health != nil:
		return fmt.Sprintf("Up %s (%s)", units.HumanDuration(now.Sub(s.StartedAt)), healthString(s.Health.Status))
	case s.Running:
		return "Up " + units.HumanDuration(now.Sub(s.StartedAt))
	case s.Status == apicontainer.StateRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", s.ExitCode, units.HumanDuration(now.Sub(s.FinishedAt)))
	case s.Status == apicontainer.StateRemoving:
		return "Removal In Progress"
	case s.Dead || s.Status == apicontainer.StateDead:
		return "Dead"
	case s.Status == apicontainer.StateCreated || s.StartedAt.IsZero():
		return "Created"
	case s.FinishedAt.IsZero():
		return ""
	default:
		return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, units.HumanDuration(now.Sub(s.FinishedAt)))
	}
}

// healthString is Docker's form of a health status in `ps`.
func healthString(h apicontainer.HealthStatus) string {
	if h == apicontainer.Starting {
		return "health: starting"
	}
	return string(h)
}

// HealthStatus is the container's health status, "none" without a check.
func (s State) HealthStatus() apicontainer.HealthStatus {
	if s.Health == nil {
		return apicontainer.NoHealthcheck
	}
	return s.Health.Status
}
