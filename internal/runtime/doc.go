// Package runtime runs containers through a per-container shim: a process
// that outlives the daemon, creates the container with libcontainer (see
// runtime/libct), holds its stdio or pty, writes the json-file log, fans
// output out to attachers, reaps the container and records its exit status.
// The daemon drives the shim with Client over the shim's unix socket.
package runtime
