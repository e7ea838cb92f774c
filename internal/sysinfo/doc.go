// Package sysinfo probes what this host's cgroups can limit (cgroup v1 or
// v2, which controllers and files exist, swap accounting, CPUs and memory
// nodes), for validation, `info` and stats. It reads files only.
package sysinfo
