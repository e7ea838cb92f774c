// Package health holds the rules of container health checks, as Docker
// applies them: the check's configuration with its defaults, how a probe
// result moves a container between starting, healthy and unhealthy, when
// the next probe runs, and the loop that runs probes. Running a probe
// (an exec through the container's shim) is the caller's.
package health
