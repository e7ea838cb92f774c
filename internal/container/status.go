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
