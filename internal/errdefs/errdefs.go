// Package errdefs defines tug's error classes. An error is classified where it
// starts (wrap a class with %w, or build one with the constructors below) and
// mapped to an HTTP status in exactly one place, the API server.
package errdefs

import (
	"errors"
	"fmt"
)

// The error classes. Test with errors.Is.
var (
	ErrNotFound         = errors.New("not found")
	ErrConflict         = errors.New("conflict")
	ErrInvalidParameter = errors.New("invalid parameter")
	ErrUnavailable      = errors.New("unavailable")
	ErrForbidden        = errors.New("forbidden")
	ErrUnauthorized     = errors.New("unauthorized") // 401: wrong or missing registry credentials
	ErrNotImplemented   = errors.New("not implemented")
	ErrNotModified      = errors.New("not modified")
	ErrCannotInvoke     = errors.New("cannot invoke")     // 126: the command exists but cannot be run
	ErrCommandNotFound  = errors.New("command not found") // 127: the command does not exist
)

// classed is an error whose text is exactly msg and whose class is class.
type classed struct {
	msg   string
	class error
	cause error
}

func (e *classed) Error() string { return e.msg }

func (e *classed) Is(target error) bool { return target == e.class }

func (e *classed) Unwrap() error { return e.cause }

func newf(class error, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &classed{msg: err.Error(), class: class, cause: errors.Unwrap(err)}
}

// NotFound returns an error of class ErrNotFound with exactly the given text.
func NotFound(format string, args ...any) error { return newf(ErrNotFound, format, args...) }

// Conflict returns an error of class ErrConflict with exactly the given text.
func Conflict(format string, args ...any) error { return newf(ErrConflict, format, args...) }

// InvalidParameter returns an error of class ErrInvalidParameter.
func InvalidParameter(format string, args ...any) error {
	return newf(ErrInvalidParameter, format, args...)
}

// Unavailable returns an error of class ErrUnavailable.
func Unavailable(format string, args ...any) error { return newf(ErrUnavailable, format, args...) }

// Forbidden returns an error of class ErrForbidden.
func Forbidden(format string, args ...any) error { return newf(ErrForbidden, format, args...) }

// Unauthorized returns an error of class ErrUnauthorized.
func Unauthorized(format string, args ...any) error { return newf(ErrUnauthorized, format, args...) }

// NotImplemented returns an error of class ErrNotImplemented.
func NotImplemented(format string, args ...any) error {
	return newf(ErrNotImplemented, format, args...)
}

// NotModified returns an error of class ErrNotModified.
func NotModified(format string, args ...any) error { return newf(ErrNotModified, format, args...) }

// CannotInvoke returns an error of class ErrCannotInvoke (exit status 126).
func CannotInvoke(format string, args ...any) error { return newf(ErrCannotInvoke, format, args...) }

// ExitStatus is the shell's exit status for a process that could not be
// started with err: 127 for ErrCommandNotFound, 126 for ErrCannotInvoke,
// def for anything else.
func ExitStatus(err error, def int) int {
	switch {
	case errors.Is(err, ErrCommandNotFound):
		return 127
	case errors.Is(err, ErrCannotInvoke):
		return 126
	}
	return def
}

// CommandNotFound returns an error of class ErrCommandNotFound (exit status 127).
func CommandNotFound(format string, args ...any) error {
	return newf(ErrCommandNotFound, format, args...)
}
