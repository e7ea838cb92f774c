// Package compat decides, for every field of Docker's API requests that
// create something (container create, exec create and start, network
// create and connect, POST /build's parameters), whether tug implements
// it: each field is on a handled list (with where it takes effect) or on a
// refused list (with the error a non-zero value gets). The guard functions
// (ContainerCreate, ExecCreate, ExecStart, NetworkCreate, NetworkConnect,
// Build) apply the refused list before anything is created; the engine
// and the build router call them. A test walks moby's request types by
// reflection, so a field a new moby adds fails it until someone decides.
//
// Zero values are always accepted (clients send every field), and so are
// the values Docker itself treats as its defaults.
package compat
