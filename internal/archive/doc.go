// Package archive applies image layer tar streams to directories: safely
// (no entry ever writes outside the target), preserving ownership, modes,
// times, xattrs, hard links and devices, converting Docker whiteouts to the
// overlayfs form, and computing the layer's diffID while it streams.
package archive
