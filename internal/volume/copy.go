package volume

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// CopyUp fills the empty directory dst (a volume's data) from the
// container path ctrPath inside rootfs, as Docker does on a volume's first
// use: files, directories, symlinks, devices and fifos with their owner,
// mode, xattrs and times, and dst takes the owner and mode of the source
// directory. A missing source, one that is not a directory, or a dst that
// is not empty leaves dst alone.
func CopyUp(rootfs, ctrPath, dst string) error {
	src, err := securejoin.SecureJoin(rootfs, ctrPath)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(src)
	if err != nil || !fi.IsDir() {
		return nil
	}
	empty, err := isEmptyDir(dst)
	if err != nil || !empty {
		return err
	}
	if err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		return copyEntry(p, filepath.Join(dst, rel))
	}); err != nil {
		return err
	}
	return copyMeta(src, dst, fi)
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

func copyEntry(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	st := fi.Sys().(*syscall.Stat_t)
	switch mode := fi.Mode(); {
	case mode.IsDir():
		if err := os.Mkdir(dst, 0o700); err != nil {
			return err
		}
	case mode.IsRegular():
		if err := copyFile(src, dst); err != nil {
			return err
		}
	case mode&os.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
	case mode&(os.ModeDevice|os.ModeNamedPipe|os.ModeSocket) != 0:
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil { //nolint:gosec // dev_t fits
			return err
		}
	default:
		return nil
	}
	return copyMeta(src, dst, fi)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyMeta gives dst src's owner, mode, xattrs and times.
func copyMeta(src, dst string, fi os.FileInfo) error {
	st := fi.Sys().(*syscall.Stat_t)
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		// After the chown, which clears setuid/setgid bits.
		if err := unix.Chmod(dst, st.Mode&07777); err != nil {
			return err
		}
	}
	if err := copyXattrs(src, dst); err != nil {
		return err
	}
	ts := []unix.Timespec{unix.Timespec(st.Atim), unix.Timespec(st.Mtim)}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func copyXattrs(src, dst string) error {
	sz, err := unix.Llistxattr(src, nil)
	if err != nil || sz == 0 {
		if errors.Is(err, unix.ENOTSUP) {
			return nil
		}
		return err
	}
	buf := make([]byte, sz)
	sz, err = unix.Llistxattr(src, buf)
	if err != nil {
		return err
	}
	for _, name := range splitNull(buf[:sz]) {
		vsz, err := unix.Lgetxattr(src, name, nil)
		if err != nil {
			continue
		}
		val := make([]byte, vsz)
		vsz, err = unix.Lgetxattr(src, name, val)
		if err != nil {
			continue
		}
		// overlayfs' own attributes do not travel; others that the target
		// refuses (a trusted.* as non-root, say) are skipped as Docker does.
		_ = unix.Lsetxattr(dst, name, val[:vsz], 0)
	}
	return nil
}

func splitNull(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			if i > start {
				out = append(out, string(b[start:i]))
			}
			start = i + 1
		}
	}
	return out
}
