// Package overlay keeps image layers as overlayfs lower directories, each
// unpacked once and keyed by its chain ID, and container snapshots as
// upper/work directories on top of a layer chain. It computes the overlay
// mounts; internal/mount performs them.
package overlay
