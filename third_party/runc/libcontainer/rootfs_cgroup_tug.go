package libcontainer

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/opencontainers/runc/internal/pathrs"
	"github.com/opencontainers/runc/libcontainer/configs"
)

// errSlowBinds means bindCgroupsV1 made nothing and the binds are to be made
// the upstream way.
var errSlowBinds = errors.New("cgroup binds: not for the new mount API")

// bindCgroupsV1 binds the container's cgroup v1 directories into the tmpfs
// mountCgroupV1 has just mounted at m.Destination (a tug change). Nothing in
// that tmpfs can have been swapped (it is new and empty, in the init's own
// mount namespace, before any container process exists): each bind is a
// clone of the host's directory (open_tree), given its mount flags
// (mount_setattr) and moved in (move_mount) relative to the tmpfs' own
// directory, without the path checks and re-opening a mount onto the
// container's rootfs needs (~1.5 ms of each start here: some sixty
// openat2, readlink and stat calls through /proc). It returns errSlowBinds
// when a bind asks for more than flags (propagation), the kernel lacks the
// calls, or the first bind is refused (locked flags): no bind is made then,
// at most the first mount point, which upstream's way reuses.
func bindCgroupsV1(c *mountConfig, m mountEntry, binds []*configs.Mount) error {
	var attrs []*unix.MountAttr
	for _, b := range binds {
		attr, ok := mountAttr(b.Flags)
		if !ok || len(b.PropagationFlags) != 0 || b.ClearedFlags != 0 || b.RecAttr != nil {
			return errSlowBinds
		}
		attrs = append(attrs, attr)
	}
	dir, err := pathrs.OpenInRoot(c.root, m.Destination, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return fmt.Errorf("open %s: %w", m.Destination, err)
	}
	defer dir.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(dir.Fd()), &st); err != nil || st.Type != unix.TMPFS_MAGIC {
		return fmt.Errorf("%s is not the tmpfs just mounted (statfs type %#x, %v)", m.Destination, st.Type, err)
	}
	for i, b := range binds {
		err := bindInto(int(dir.Fd()), b, attrs[i])
		if err != nil && i == 0 {
			return errSlowBinds
		}
		if err != nil {
			return fmt.Errorf("bind %s on %s: %w", b.Source, b.Destination, err)
		}
	}
	return nil
}

// bindInto makes b's mount point in dir and moves a clone of b's source,
// with attr, onto it. On error the mount point may stay, nothing else.
func bindInto(dir int, b *configs.Mount, attr *unix.MountAttr) error {
	name := filepath.Base(b.Destination)
	tree, err := unix.OpenTree(unix.AT_FDCWD, b.Source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("open_tree: %w", err)
	}
	defer unix.Close(tree)
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
		return fmt.Errorf("mount_setattr: %w", err)
	}
	if err := unix.Mkdirat(dir, name, 0o755); err != nil {
		return fmt.Errorf("mkdir: %w", err)
	}
	if err := unix.MoveMount(tree, "", dir, name, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// mountAttr is the mount_setattr(2) request that gives a bind exactly the
// flags the MS_BIND|MS_REMOUNT of upstream's bind would: those of flags
// set, the others cleared. ok is false for flags it cannot express.
func mountAttr(flags int) (attr *unix.MountAttr, ok bool) {
	const known = unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV |
		unix.MS_NOEXEC | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_NOATIME | unix.MS_STRICTATIME
	if flags&^known != 0 || flags&unix.MS_REC == 0 {
		return nil, false
	}
	attr = &unix.MountAttr{Attr_clr: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV |
		unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NODIRATIME}
	for _, f := range []struct {
		ms   int
		attr uint64
	}{
		{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY},
		{unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
		{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV},
		{unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
		{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME},
	} {
		if flags&f.ms != 0 {
			attr.Attr_set |= f.attr
		}
	}
	// An atime mode is set only when one is asked for (upstream's remount
	// keeps the old one otherwise, see its TODO).
	switch {
	case flags&unix.MS_STRICTATIME != 0:
		attr.Attr_clr |= unix.MOUNT_ATTR__ATIME
		attr.Attr_set |= unix.MOUNT_ATTR_STRICTATIME
	case flags&unix.MS_NOATIME != 0:
		attr.Attr_clr |= unix.MOUNT_ATTR__ATIME
		attr.Attr_set |= unix.MOUNT_ATTR_NOATIME
	case flags&unix.MS_RELATIME != 0:
		attr.Attr_clr |= unix.MOUNT_ATTR__ATIME
		attr.Attr_set |= unix.MOUNT_ATTR_RELATIME
	}
	return attr, true
}
