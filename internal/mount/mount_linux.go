package mount

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Mount is one mount to perform: mount -t Type -o Options Source target.
type Mount struct {
	Type    string
	Source  string
	Options []string
	// IDMap, on an overlay, id-maps its lower dirs (user namespaces:
	// the container's root sees the layers' root-owned files as its own).
	IDMap *IDMap `json:",omitempty"`
}

// flagOptions are mount options that map to mount(2) flags; anything else
// goes into the data string.
var flagOptions = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro":          {false, unix.MS_RDONLY},
	"rw":          {true, unix.MS_RDONLY},
	"nosuid":      {false, unix.MS_NOSUID},
	"suid":        {true, unix.MS_NOSUID},
	"nodev":       {false, unix.MS_NODEV},
	"dev":         {true, unix.MS_NODEV},
	"noexec":      {false, unix.MS_NOEXEC},
	"exec":        {true, unix.MS_NOEXEC},
	"bind":        {false, unix.MS_BIND},
	"rbind":       {false, unix.MS_BIND | unix.MS_REC},
	"noatime":     {false, unix.MS_NOATIME},
	"relatime":    {false, unix.MS_RELATIME},
	"strictatime": {false, unix.MS_STRICTATIME},
	"nodiratime":  {false, unix.MS_NODIRATIME},
	"sync":        {false, unix.MS_SYNCHRONOUS},
	"remount":     {false, unix.MS_REMOUNT},
}

func parseOptions(options []string) (uintptr, []string) {
	var flags uintptr
	var data []string
	for _, o := range options {
		if f, ok := flagOptions[o]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
			continue
		}
		data = append(data, o)
	}
	return flags, data
}

// All mounts every mount in order onto target. On error the mounts made
// so far are undone.
func All(mounts []Mount, target string) error {
	target, err := filepath.Abs(target)
	if err != nil {
		return err
	}
	for i, m := range mounts {
		if err := mountOne(m, target); err != nil {
			for j := 0; j < i; j++ {
				_ = unmount(target)
			}
			return err
		}
	}
	return nil
}

func mountOne(m Mount, target string) error {
	flags, data := parseOptions(m.Options)
	typ := m.Type
	if typ == "" || typ == "bind" {
		typ = "none"
	}
	dataStr := strings.Join(data, ",")
	if m.Type == "overlay" && m.IDMap != nil {
		userns, err := sharedUserNamespace(*m.IDMap)
		if err != nil {
			return err
		}
		return idmappedOverlay(target, flags, data, userns)
	}
	pagesize := os.Getpagesize()
	if m.Type == "overlay" && len(dataStr) >= pagesize-512 {
		dir, compact := compactLowerdir(data)
		if d := strings.Join(compact, ","); dir != "" && len(d) < pagesize {
			return mountAt(dir, m.Source, target, typ, flags, d)
		}
		// Still too long: the new mount API takes one lower dir at a time
		// ("lowerdir+", Linux 6.8+), with no page limit.
		return overlayFsconfig(target, flags, data)
	}
	if len(dataStr) >= pagesize {
		return fmt.Errorf("mount options too long: %d bytes (> %d)", len(dataStr), pagesize)
	}
	return doMount(m.Source, target, typ, flags, dataStr)
}

func doMount(source, target, typ string, flags uintptr, data string) error {
	// Bind flags other than MS_BIND/MS_REC need a remount.
	const bindFlags = unix.MS_BIND | unix.MS_REC
	if flags&unix.MS_BIND != 0 && flags&^bindFlags != 0 {
		if err := unix.Mount(source, target, typ, flags&bindFlags, data); err != nil {
			return &os.PathError{Op: "mount " + source, Path: target, Err: err}
		}
		err := unix.Mount("", target, "", flags|unix.MS_REMOUNT, "")
		if err != nil {
			_ = unmount(target)
			return &os.PathError{Op: "remount", Path: target, Err: err}
		}
		return nil
	}
	if err := unix.Mount(source, target, typ, flags, data); err != nil {
		return &os.PathError{Op: fmt.Sprintf("mount %s (%s, %s)", source, typ, data), Path: target, Err: err}
	}
	return nil
}

// compactLowerdir rewrites the lowerdir option relative to the longest
// common parent of the lower dirs (what containerd and moby do) and
// returns that directory; upperdir/workdir are kept absolute.
func compactLowerdir(opts []string) (string, []string) {
	var lowers []string
	idx := -1
	for i, o := range opts {
		if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
			lowers = strings.Split(v, ":")
			idx = i
		}
	}
	if idx < 0 || len(lowers) == 0 {
		return "", opts
	}
	common := filepath.Dir(lowers[0])
	for _, l := range lowers[1:] {
		for common != "/" && !strings.HasPrefix(l, common+"/") {
			common = filepath.Dir(common)
		}
	}
	if common == "/" || common == "." {
		return "", opts
	}
	rel := make([]string, len(lowers))
	for i, l := range lowers {
		rel[i] = strings.TrimPrefix(l, common+"/")
	}
	out := append([]string(nil), opts...)
	out[idx] = "lowerdir=" + strings.Join(rel, ":")
	return common, out
}

// mountAt mounts with dir as working directory, so relative paths in
// data resolve against it. The chdir happens on a locked OS thread that has
// unshared its fs attributes, so no other goroutine sees it; the thread is
// left locked and so discarded when the goroutine ends.
func mountAt(dir, source, target, typ string, flags uintptr, data string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Deliberately no UnlockOSThread: the thread's cwd is tainted.
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			errc <- fmt.Errorf("unshare(CLONE_FS): %w", err)
			return
		}
		if err := unix.Chdir(dir); err != nil {
			errc <- fmt.Errorf("chdir %s: %w", dir, err)
			return
		}
		errc <- doMount(source, target, typ, flags, data)
	}()
	return <-errc
}

func unmount(target string) error {
	for i := 0; i < 50; i++ {
		err := unix.Unmount(target, 0)
		if err == nil || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if errors.Is(err, unix.EBUSY) {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		return &os.PathError{Op: "unmount", Path: target, Err: err}
	}
	if err := unix.Unmount(target, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return &os.PathError{Op: "unmount (detach)", Path: target, Err: err}
	}
	return nil
}

// UnmountAll unmounts everything stacked on target until it is no longer
// a mount point. A target that is not mounted (or missing) is not an error.
func UnmountAll(target string) error {
	for i := 0; i < 64; i++ {
		err := unix.Unmount(target, 0)
		switch {
		case err == nil:
			continue
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return nil // not (or no longer) a mount point
		case errors.Is(err, unix.EBUSY):
			if err := unmount(target); err != nil {
				return err
			}
		default:
			return &os.PathError{Op: "unmount", Path: target, Err: err}
		}
	}
	return fmt.Errorf("unmount %s: still mounted after 64 unmounts", target)
}

// overlayFsconfig mounts an overlay through fsopen/fsconfig/fsmount, adding
// lower dirs one by one with "lowerdir+".
func overlayFsconfig(target string, flags uintptr, data []string) error {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fsopen overlay: %w", err)
	}
	defer unix.Close(fsfd)
	for _, o := range data {
		k, v, hasValue := strings.Cut(o, "=")
		switch {
		case k == "lowerdir":
			for _, l := range strings.Split(v, ":") {
				if err := unix.FsconfigSetString(fsfd, "lowerdir+", l); err != nil {
					return fmt.Errorf("overlay lowerdir+ %s: %w", l, err)
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

// createAndMove creates the overlay configured in fsfd and attaches it at
// target with flags.
func createAndMove(fsfd int, target string, flags uintptr) error {
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fmt.Errorf("creating overlay: %w", err)
	}
	var attrs int
	if flags&unix.MS_RDONLY != 0 {
		attrs |= unix.MOUNT_ATTR_RDONLY
	}
	if flags&unix.MS_NOSUID != 0 {
		attrs |= unix.MOUNT_ATTR_NOSUID
	}
	if flags&unix.MS_NODEV != 0 {
		attrs |= unix.MOUNT_ATTR_NODEV
	}
	if flags&unix.MS_NOEXEC != 0 {
		attrs |= unix.MOUNT_ATTR_NOEXEC
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, attrs)
	if err != nil {
		return fmt.Errorf("fsmount overlay: %w", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return &os.PathError{Op: "move_mount overlay", Path: target, Err: err}
	}
	return nil
}
