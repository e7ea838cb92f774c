package errdefs

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestClasses(t *testing.T) {
	tests := []struct {
		err   error
		class error
		text  string
	}{
		{NotFound("No such container: %s", "x"), ErrNotFound, "No such container: x"},
		{Conflict("name %q in use", "a"), ErrConflict, `name "a" in use`},
		{fmt.Errorf("wrapped: %w", InvalidParameter("bad")), ErrInvalidParameter, "wrapped: bad"},
		{CommandNotFound("exec: %w", fs.ErrNotExist), ErrCommandNotFound, "exec: file does not exist"},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.class) {
			t.Errorf("errors.Is(%v, %v) = false, want true", tt.err, tt.class)
		}
		if errors.Is(tt.err, ErrUnavailable) {
			t.Errorf("errors.Is(%v, ErrUnavailable) = true, want false", tt.err)
		}
		if tt.err.Error() != tt.text {
			t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.text)
		}
	}
	if !errors.Is(CommandNotFound("exec: %w", fs.ErrNotExist), fs.ErrNotExist) {
		t.Errorf("cause lost through CommandNotFound")
	}
}

func TestExitStatusIsTheShellsForACommandThatCannotRun(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{CommandNotFound("exec: %q: executable file not found in $PATH", "x"), 127},
		{CannotInvoke("exec: %q: permission denied", "/etc/passwd"), 126},
		{fmt.Errorf("starting: %w", CommandNotFound("x")), 127},
		{errors.New("something else"), 128},
	}
	for _, tc := range tests {
		if got := ExitStatus(tc.err, 128); got != tc.want {
			t.Errorf("ExitStatus(%v, 128) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
