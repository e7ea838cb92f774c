// Package trace records how long the phases of a request take (spans with
// a name, a start and an end), as JSON lines appended to the file named by
// $TUG_TRACE, so that `make bench` can show where the time of a
// `run --rm` goes. Without $TUG_TRACE every call is a no-op that costs a
// few nanoseconds. tugd hands the variable on to its shims.
package trace
