// Package mount performs mount and unmount syscalls for mounts computed
// elsewhere (the snapshotter). It is the only package that mounts.
package mount
