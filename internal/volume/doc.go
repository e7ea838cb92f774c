// Package volume parses and plans a container's mounts: binds of host
// paths (`-v /host:/ctr[:ro]`) and tmpfs mounts. Named volumes are not
// implemented yet and are refused with a clear error.
package volume
