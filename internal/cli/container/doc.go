// Package container implements tug's container commands (run, create,
// start, stop, restart, kill, wait, rm, rename, ps, logs, attach, inspect)
// and the `tug container` group, as thin calls to the moby API client.
package container
