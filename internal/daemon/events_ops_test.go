package daemon

import "testing"

func TestEventActionMatches(t *testing.T) {
	for _, tc := range []struct {
		filter, action string
		want           bool
	}{
		{"health_status", "health_status: healthy", true},
		{"health_status: healthy", "health_status: healthy", true},
		{"health_status: unhealthy", "health_status: healthy", false},
		{"exec_start", "exec_start: sh -c true", true},
		{"start", "start", true},
		{"sta", "start", false},
	} {
		if got := eventActionMatches(tc.filter, tc.action); got != tc.want {
			t.Errorf("eventActionMatches(%q, %q) = %v, want %v", tc.filter, tc.action, got, tc.want)
		}
	}
}
