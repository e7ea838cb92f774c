package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// Docker's whiteout markers.
const (
	WhiteoutPrefix     = ".wh."
	WhiteoutMetaPrefix = WhiteoutPrefix + WhiteoutPrefix
	WhiteoutOpaqueDir  = WhiteoutMetaPrefix + ".opq"
)

// OverlayOpaqueXattr marks an overlayfs directory as opaque.
const OverlayOpaqueXattr = "trusted.overlay.opaque"

// Options tune Unpack.
type Options struct {
	// NoChown leaves ownership to the unpacking process (rootless use).
	NoChown bool
	// NoWhiteouts applies .wh. entries as plain files (used when a tar is
	// not a layer, e.g. when reading an image archive).
	NoWhiteouts bool
	// IDs translates the tar's owners to those written (userns-remap:
	// container IDs to host IDs); nil writes them as they are.
	IDs IDMap
}

// Result describes an applied layer.
type Result struct {
	DiffID      digest.Digest // digest of the uncompressed tar stream
	Size        int64         // bytes of regular file content unpacked
	Compression Compression   // compression of the input stream
}

// Apply decompresses r (gzip, zstd, bzip2 or plain), unpacks it into dir
// and returns the uncompressed stream's digest, computed as it streams.
func Apply(ctx context.Context, r io.Reader, dir string, opts Options) (Result, error) {
	dr, c, err := DecompressStream(r)
	if err != nil {
		return Result{}, err
	}
	defer dr.Close()
	digester := digest.SHA256.Digester()
	tr := io.TeeReader(dr, digester.Hash())
	size, err := unpack(ctx, tr, dir, opts)
	if err != nil {
		return Result{}, err
	}
	// The diffID covers the whole stream, tar padding included.
	if _, err := io.Copy(io.Discard, tr); err != nil {
		return Result{}, err
	}
	return Result{DiffID: digester.Digest(), Size: size, Compression: c}, nil
}

// Unpack applies the uncompressed layer tar r to dir.
func Unpack(ctx context.Context, r io.Reader, dir string, opts Options) error {
	_, err := unpack(ctx, r, dir, opts)
	return err
}

type dirTimes struct {
	rel          string
	atime, mtime time.Time
}

type unpacker struct {
	dir  string
	root *os.Root
	opts Options
}

func unpack(ctx context.Context, r io.Reader, dir string, opts Options) (int64, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return 0, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, err
	}
	defer root.Close()
	u := &unpacker{dir: dir, root: root, opts: opts}

	var (
		size int64
		dirs []dirTimes
	)
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("reading layer: %w", err)
		}
		name := path.Clean("/" + filepath.ToSlash(hdr.Name))
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
			size += hdr.Size
		}
		if err := u.entry(name, hdr, tr); err != nil {
			return 0, fmt.Errorf("unpacking %s: %w", hdr.Name, err)
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirTimes{rel: strings.TrimPrefix(name, "/"), atime: hdr.AccessTime, mtime: hdr.ModTime})
		}
	}
	// Directory times last: adding entries changes them.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		rel := d.rel
		if rel == "" {
			rel = "."
		}
		f, err := root.OpenFile(rel, os.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
		if err != nil {
			continue // replaced later in the stream
		}
		err = unix.UtimesNano(fdPath(f, ""), timespecs(d.atime, d.mtime))
		f.Close()
		if err != nil {
			return 0, fmt.Errorf("setting times of %s: %w", d.rel, err)
		}
	}
	return size, nil
}

func timespecs(atime, mtime time.Time) []unix.Timespec {
	if atime.IsZero() {
		atime = mtime
	}
	return []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
}

func fdPath(f *os.File, base string) string {
	p := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	if base != "" {
		p += "/" + base
	}
	return p
}

// openParent resolves the parent directory of name (a clean absolute path
// inside the layer) with symlinks resolved as if dir were "/", creates it if
// missing, and opens it through the os.Root so nothing can escape dir.
func (u *unpacker) openParent(name string) (*os.File, string, error) {
	parent := path.Dir(name)
	resolved, err := securejoin.SecureJoin(u.dir, parent)
	if err != nil {
		return nil, "", err
	}
	rel, err := filepath.Rel(u.dir, resolved)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, "", fmt.Errorf("path %s escapes the layer root", name)
	}
	if rel != "." {
		if err := u.root.MkdirAll(rel, 0o755); err != nil {
			return nil, "", err
		}
	}
	f, err := u.root.OpenFile(rel, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, "", err
	}
	return f, rel, nil
}

func (u *unpacker) entry(name string, hdr *tar.Header, r io.Reader) error {
	if name == "/" {
		return u.meta(nil, ".", hdr)
	}
	base := path.Base(name)
	pf, prel, err := u.openParent(name)
	if err != nil {
		return err
	}
	defer pf.Close()
	pfd := int(pf.Fd())
	rel := filepath.Join(prel, base)

	if !u.opts.NoWhiteouts && strings.HasPrefix(base, WhiteoutPrefix) {
		switch {
		case base == WhiteoutOpaqueDir:
			return setXattr(pf, "", OverlayOpaqueXattr, []byte("y"))
		case strings.HasPrefix(base, WhiteoutMetaPrefix):
			return nil // other AUFS metadata (.wh..wh.plnk, ...) has no overlay form
		default:
			victim := strings.TrimPrefix(base, WhiteoutPrefix)
			if err := u.removeExisting(filepath.Join(prel, victim)); err != nil {
				return err
			}
			if err := unix.Mknodat(pfd, victim, unix.S_IFCHR, 0); err != nil {
				return fmt.Errorf("creating whiteout: %w", err)
			}
			if !u.opts.NoChown {
				return unix.Fchownat(pfd, victim, 0, 0, unix.AT_SYMLINK_NOFOLLOW)
			}
			return nil
		}
	}

	// Replace whatever is there unless both are directories.
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		if !(hdr.Typeflag == tar.TypeDir && st.Mode&unix.S_IFMT == unix.S_IFDIR) {
			if err := u.removeExisting(rel); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, unix.ENOENT) {
		return err
	}

	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(pfd, base, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
	case tar.TypeReg, tar.TypeRegA:
		fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(fd), base)
		_, err = io.CopyBuffer(f, r, make([]byte, 128<<10))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	case tar.TypeSymlink:
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return err
		}
	case tar.TypeLink:
		target := path.Clean("/" + filepath.ToSlash(hdr.Linkname))
		if target == "/" {
			return fmt.Errorf("invalid hard link target %q", hdr.Linkname)
		}
		tf, _, err := u.openParent(target)
		if err != nil {
			return fmt.Errorf("hard link target %s: %w", hdr.Linkname, err)
		}
		err = unix.Linkat(int(tf.Fd()), path.Base(target), pfd, base, 0)
		tf.Close()
		if err != nil {
			return fmt.Errorf("hard link to %s: %w", hdr.Linkname, err)
		}
		return nil // a hard link shares the target's metadata
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		m := uint32(unix.S_IFIFO)
		switch hdr.Typeflag {
		case tar.TypeChar:
			m = unix.S_IFCHR
		case tar.TypeBlock:
			m = unix.S_IFBLK
		}
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		if err := unix.Mknodat(pfd, base, m|0o600, int(dev)); err != nil {
			return err
		}
	case tar.TypeXGlobalHeader, tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
		return nil
	default:
		slog.Warn("skipping unsupported tar entry", "name", hdr.Name, "type", hdr.Typeflag)
		return nil
	}
	return u.meta(pf, base, hdr)
}

// removeExisting removes rel (relative to the root) and anything under it.
func (u *unpacker) removeExisting(rel string) error {
	if err := u.root.RemoveAll(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// meta applies ownership, mode, xattrs and (for non-directories) times to
// base inside the open directory pf; pf == nil means the root itself.
func (u *unpacker) meta(pf *os.File, base string, hdr *tar.Header) error {
	var dirfd int
	if pf == nil {
		f, err := u.root.OpenFile(".", os.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		pf, dirfd, base = f, int(f.Fd()), ""
	} else {
		dirfd = int(pf.Fd())
	}
	atFlags := unix.AT_SYMLINK_NOFOLLOW
	if base == "" {
		atFlags |= unix.AT_EMPTY_PATH
	}
	if !u.opts.NoChown {
		uid, gid := hdr.Uid, hdr.Gid
		if u.opts.IDs != nil {
			var err error
			if uid, gid, err = u.opts.IDs.ToHost(uid, gid); err != nil {
				return fmt.Errorf("%s: %w", hdr.Name, err)
			}
		}
		if err := unix.Fchownat(dirfd, base, uid, gid, atFlags); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	if hdr.Typeflag != tar.TypeSymlink {
		// After chown, which clears set-id bits.
		mode := uint32(hdr.Mode & 0o7777)
		var err error
		if base == "" {
			err = unix.Fchmod(dirfd, mode)
		} else {
			err = unix.Fchmodat(dirfd, base, mode, 0)
		}
		if err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	}
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok {
			continue
		}
		if err := setXattr(pf, base, name, []byte(v)); err != nil {
			if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) && hdr.Typeflag == tar.TypeSymlink {
				slog.Debug("ignoring xattr", "name", hdr.Name, "xattr", name, "err", err)
				continue
			}
			return fmt.Errorf("xattr %s: %w", name, err)
		}
	}
	if hdr.Typeflag != tar.TypeDir {
		if err := unix.UtimesNanoAt(dirfd, base, timespecs(hdr.AccessTime, hdr.ModTime), atFlags); err != nil {
			return fmt.Errorf("setting times: %w", err)
		}
	}
	return nil
}

// setXattr sets an xattr on base inside the directory dir, without
// following a symlink at base; base == "" means dir itself.
func setXattr(dir *os.File, base, name string, value []byte) error {
	if base == "" {
		return unix.Fsetxattr(int(dir.Fd()), name, value, 0)
	}
	return unix.Lsetxattr(fdPath(dir, base), name, value, 0)
}
