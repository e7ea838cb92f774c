// Package oci turns a container's settings into an OCI runtime spec
// (github.com/opencontainers/runtime-spec) through small composable SpecOpts
// applied on top of Docker's defaults.
package oci
