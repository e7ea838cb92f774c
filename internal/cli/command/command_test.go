package command

import (
	"errors"
	"testing"
)

func TestResolveHost(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		flag string
		env  map[string]string
		want string
	}{
		{"", nil, DefaultHost},
		{"", map[string]string{"DOCKER_HOST": "unix:///d.sock"}, "unix:///d.sock"},
		{"", map[string]string{"DOCKER_HOST": "unix:///d.sock", "TUG_HOST": "unix:///t.sock"}, "unix:///t.sock"},
		{"unix:///f.sock", map[string]string{"TUG_HOST": "unix:///t.sock"}, "unix:///f.sock"},
	}
	for _, tt := range tests {
		if got := ResolveHost(tt.flag, env(tt.env)); got != tt.want {
			t.Errorf("ResolveHost(%q, %v) = %q, want %q", tt.flag, tt.env, got, tt.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err     error
		code    int
		message string
	}{
		{nil, 0, ""},
		{errors.New("Error response from daemon: No such container: x"), 1, "Error response from daemon: No such container: x"},
		{StatusError{StatusCode: 42}, 42, ""},
		{StatusError{StatusCode: 125, Status: "unknown flag: --x"}, 125, "unknown flag: --x"},
		{StatusError{Status: "oops"}, 1, "oops"},
	}
	for _, tt := range tests {
		code, msg := ExitCode(tt.err, DefaultHost)
		if code != tt.code || msg != tt.message {
			t.Errorf("ExitCode(%v) = %d, %q, want %d, %q", tt.err, code, msg, tt.code, tt.message)
		}
	}
}
