package mount

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// IDMap is a uid and gid mapping of an id-mapped mount: IDs as the
// filesystem stores them (ContainerID, the user namespace's inside) are
// seen as HostID through the mount. It is the mapping of a user
// namespace, as in /proc/PID/uid_map.
type IDMap struct {
	UIDs, GIDs []IDRange
}

// IDRange is one line of a uid_map or gid_map.
type IDRange struct {
	ContainerID, HostID, Size uint32
}

func (r IDRange) String() string { return fmt.Sprintf("%d %d %d", r.ContainerID, r.HostID, r.Size) }

// UserNamespace returns an open file of a new user namespace with the
// mapping m (no process lives in it: it is held by the file), for
// MOUNT_ATTR_IDMAP. The caller closes it.
func UserNamespace(m IDMap) (*os.File, error) {
	if len(m.UIDs) == 0 || len(m.GIDs) == 0 {
		return nil, errors.New("user namespace: empty id mapping")
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	conv := func(rs []IDRange) []syscall.SysProcIDMap {
		out := make([]syscall.SysProcIDMap, len(rs))
		for i, r := range rs {
			out[i] = syscall.SysProcIDMap{ContainerID: int(r.ContainerID), HostID: int(r.HostID), Size: int(r.Size)}
		}
		return out
	}
	// A child made in the namespace stops at its exec (PTRACE_TRACEME), so
	// it never runs anything: the namespace is read from it and it is
	// killed. Ptrace ties the child to this OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd := exec.Command(self)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 unix.CLONE_NEWUSER,
		UidMappings:                conv(m.UIDs),
		GidMappings:                conv(m.GIDs),
		GidMappingsEnableSetgroups: false,
		Ptrace:                     true,
		Pdeathsig:                  syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("user namespace: %w", err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid))
	if err != nil {
		return nil, fmt.Errorf("user namespace: %w", err)
	}
	return f, nil
}

// idmappedClone returns a detached clone of the mount tree at dir, id-mapped
// through the user namespace userns.
func idmappedClone(dir string, userns *os.File) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return -1, &os.PathError{Op: "open_tree", Path: dir, Err: err}
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return -1, &os.PathError{Op: "mount_setattr idmap", Path: dir, Err: err}
	}
	return fd, nil
}

// idmappedOverlay mounts an overlay whose lower dirs are id-mapped through
// userns: the layers are shared, unchanged on disk, while files the
// container creates or copies up land in the upper dir as the mapped
// (host) IDs. Overlayfs cannot take a detached mount as a lower ("failed
// to clone lowerpath" on 6.18), so each id-mapped clone is attached to a
// temporary directory next to target for the time it takes to create the
// overlay (which keeps its own private clones), then detached and removed.
func idmappedOverlay(target string, flags uintptr, data []string, userns *os.File) (retErr error) {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fsopen overlay: %w", err)
	}
	defer unix.Close(fsfd)
	tmp, err := os.MkdirTemp(filepath.Dir(target), ".idmap-")
	if err != nil {
		return err
	}
	var attached []string
	defer func() {
		for _, p := range attached {
			if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && retErr == nil {
				retErr = &os.PathError{Op: "unmount", Path: p, Err: err}
			}
		}
		if err := os.RemoveAll(tmp); err != nil && retErr == nil {
			retErr = err
		}
	}()
	for _, o := range data {
		k, v, hasValue := strings.Cut(o, "=")
		switch {
		case k == "lowerdir":
			for i, l := range strings.Split(v, ":") {
				p := filepath.Join(tmp, strconv.Itoa(i))
				if err := os.Mkdir(p, 0o700); err != nil {
					return err
				}
				fd, err := idmappedClone(l, userns)
				if err != nil {
					return err
				}
				err = unix.MoveMount(fd, "", unix.AT_FDCWD, p, unix.MOVE_MOUNT_F_EMPTY_PATH)
				unix.Close(fd)
				if err != nil {
					return &os.PathError{Op: "move_mount (id-mapped)", Path: l, Err: err}
				}
				attached = append(attached, p)
				if err := unix.FsconfigSetString(fsfd, "lowerdir+", p); err != nil {
					return fmt.Errorf("overlay lowerdir+ (id-mapped) %s: %w", l, err)
				}
			}
		case hasValue:
			if err := unix.FsconfigSetString(fsfd, k, v); err != nil {
				return fmt.Errorf("overlay option %s: %w", k, err)
			}
		default:
			if err := unix.FsconfigSetFlag(fsfd, k); err != nil {
				return fmt.Errorf("overlay option %s: %w", k, err)
			}
		}
	}
	return createAndMove(fsfd, target, flags)
}

var (
	usernsMu sync.Mutex
	usernses = map[string]*os.File{}
)

// sharedUserNamespace returns the user namespace of m, made once per
// mapping and kept open for the life of the process (a daemon has one
// mapping; each namespace costs a process start to make).
func sharedUserNamespace(m IDMap) (*os.File, error) {
	key := fmt.Sprint(m.UIDs, "/", m.GIDs)
	usernsMu.Lock()
	defer usernsMu.Unlock()
	if f, ok := usernses[key]; ok {
		return f, nil
	}
	f, err := UserNamespace(m)
	if err != nil {
		return nil, err
	}
	usernses[key] = f
	return f, nil
}

// SysfsInNetNS mounts, read-only, a sysfs of the network namespace at
// nsPath on target (a directory it creates). A container in a user
// namespace cannot mount sysfs itself when its network namespace belongs
// to the host's user namespace (tugd makes it before the container
// exists); this sysfs, bound into it, shows its own interfaces as
// Docker's does.
func SysfsInNetNS(nsPath, target string) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	ns, err := os.Open(nsPath)
	if err != nil {
		return err
	}
	defer ns.Close()
	errc := make(chan error, 1)
	go func() {
		// A thread of its own, never returned to the scheduler pool: it
		// ends with the goroutine, in the container's network namespace.
		runtime.LockOSThread()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", nsPath, err)
			return
		}
		if err := unix.Mount("sysfs", target, "sysfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			errc <- &os.PathError{Op: "mount sysfs", Path: target, Err: err}
			return
		}
		errc <- nil
	}()
	return <-errc
}

// CheckIDMap reports whether dir's filesystem can be id-mapped with m
// here (Linux 5.12+, and a filesystem that supports it: ext4, xfs,
// btrfs, tmpfs from 6.3, ...), by making and dropping an id-mapped clone.
func CheckIDMap(dir string, m IDMap) error {
	userns, err := sharedUserNamespace(m)
	if err != nil {
		return err
	}
	fd, err := idmappedClone(dir, userns)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}
