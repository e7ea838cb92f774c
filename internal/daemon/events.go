package daemon

import "strings"

// eventActionMatches applies an `event=` filter value to an action as
// Docker does: health_status, exec_create and exec_start without a colon
// match the actions they prefix ("health_status: healthy").
func eventActionMatches(filter, action string) bool {
	switch filter {
	case "health_status", "exec_create", "exec_start":
		return strings.HasPrefix(action, filter)
	}
	return filter == action
}
