// Package limits holds root integration tests of resource limits: each
// limit written to the container's cgroup and read back from the host,
// OOM kills, the pids limit, update, stats and the errors of bad limits,
// through the tug CLI, the docker CLI and the moby client.
package limits
