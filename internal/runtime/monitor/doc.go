// Package monitor is the long-running half of a container's shim
// (tug-monitor): the shim executes it once the container is created, so
// the process keeps the shim's pid and the container's init stays its
// child. It serves the shim protocol (proto.go) on the shim's socket,
// pumps the init's output to the log and to attachers, lets the init
// execute the user's command (the exec fifo), signals and reaps it and
// records its exit. It links neither libcontainer nor cgo: what needs
// libcontainer (an exec's start, pids, pause, resume, the final destroy)
// runs in a helper, the shim binary run for that one operation.
package monitor
