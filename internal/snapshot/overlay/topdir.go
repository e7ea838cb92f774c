package overlay

import (
	"log/slog"

	"golang.org/x/sys/unix"
)

// fsTopdirFl is FS_TOPDIR_FL of <linux/fs.h> (chattr +T), which x/sys/unix
// does not name.
const fsTopdirFl = 0x00020000

// markTopDir marks dir as the top of directory hierarchies for ext4's
// Orlov allocator (chattr +T): each directory made in it (a layer being
// unpacked) is placed in a block group of its own, chosen from its name,
// and its files follow it, instead of landing in dir's group. That group
// is where the last layers were unpacked and, after an image is removed,
// holds thousands of inodes freed seconds ago, which ext4 (without a
// journal) steps over one by one for every file it creates for a minute
// or more: unpacking a distro layer right after removing one took three
// times as long. Elsewhere the flag means nothing or is refused; either
// way nothing else changes.
func markTopDir(dir string) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		slog.Debug("snapshot: marking the unpack directory as a top directory", "dir", dir, "err", err)
		return
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err == nil && flags&fsTopdirFl == 0 {
		err = unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags|fsTopdirFl))
	}
	if err != nil {
		slog.Debug("snapshot: marking the unpack directory as a top directory", "dir", dir, "err", err)
	}
}
