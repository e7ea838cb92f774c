// Package volume holds the root integration tests of volumes and mounts:
// named and anonymous volumes, copy-up, binds, tmpfs, --mount and
// HostConfig.Mounts, --volumes-from, --read-only, the /volumes API, cp
// through mounts, persistence across tugd restarts, and the errors.
package volume
