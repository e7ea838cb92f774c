// Package confine turns a container's HostConfig into its confinement:
// capabilities, the seccomp profile, devices, masked and read-only paths,
// namespaces, sysctls, supplementary groups, no_new_privs and the --init
// reaper. Validate refuses, with Docker's texts, what the request or this
// host cannot do before anything is created; SpecOpt applies the rest to
// the OCI spec at start. Probe reads what this host has (the capability
// bounding set, seccomp, LSMs).
package confine
