// Package archive moves files between directories and tar streams. It
// applies image layer tar streams to directories safely (no entry ever
// writes outside the target), preserving ownership, modes, times, xattrs,
// hard links and devices, converting Docker whiteouts to the overlayfs form
// and computing the layer's diffID while it streams; it writes layer diffs;
// and it resolves, stats, tars and extracts container paths inside a root
// filesystem for the archive API, symlinks never leaving the root.
package archive
