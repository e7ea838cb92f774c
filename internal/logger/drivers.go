package logger

import (
	"errors"
	"fmt"
	"slices"
)

// The log drivers tug has: json-file (Docker's format, this package) and
// none (no log is kept).
const (
	DriverJSONFile = "json-file"
	DriverNone     = "none"
)

// Drivers are the log drivers `info` lists.
var Drivers = []string{DriverJSONFile, DriverNone}

// ErrReadNotSupported is Docker's error for reading the log of a container
// whose driver keeps none.
var ErrReadNotSupported = errors.New("configured logging driver does not support reading")

// ValidateDriver accepts the drivers tug has. Docker's other drivers are
// refused: "local" (a protobuf-framed file format tug does not write) by
// name, the rest with Docker's text for a driver that is not there.
func ValidateDriver(name string) error {
	switch {
	case slices.Contains(Drivers, name):
		return nil
	case name == "local":
		return errors.New("logger: the local log driver is not supported by tug: use json-file (with max-size and max-file for rotation) or none")
	}
	return fmt.Errorf("logger: no log driver named '%s' is registered", name)
}

// NoOptions refuses log options for the none driver, which has nothing
// they could apply to (Docker accepts and ignores them).
func NoOptions(opts map[string]string) error {
	for k := range opts {
		return fmt.Errorf("log opt '%s': the none log driver keeps no log and takes no options", k)
	}
	return nil
}
