// Package resources is a container's resource limits: it validates
// HostConfig.Resources (and ulimits, OOM score, shm size) against what the
// host's cgroups support, with Docker's error texts, turns them into OCI
// spec options for the start path, applies updates to a running
// container's cgroup and reads its cgroup statistics, on cgroup v1 and v2.
package resources
