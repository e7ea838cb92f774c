// Package runtime runs containers through a per-container shim: a process
// that outlives the daemon. It starts as tug-shim, which creates the
// container with libcontainer (see runtime/libct), and then executes the
// monitor (runtime/monitor) in its own place: the same process, without
// libcontainer, holds the container's stdio or pty, writes its log, fans
// output out to attachers, reaps it and records its exit status. The
// daemon drives the shim with Client over the shim's unix socket; the
// monitor runs tug-shim helpers (HelperMain) for what needs libcontainer.
package runtime
