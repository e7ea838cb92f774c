// Package hashcache remembers the content digests of a build context's
// files between builds, so that an unchanged rebuild from a directory on
// the daemon's host does not read every file again. One cache file per
// context directory, keyed by the file's path in the context and validated
// by its stat data (device, inode, size, mode, mtime and ctime): any change
// to a file, even one that restores its mtime, changes its ctime and makes
// the entry miss. The digests it returns are always of the content, so the
// build cache keys built from them stay pure functions of content and
// metadata.
package hashcache
