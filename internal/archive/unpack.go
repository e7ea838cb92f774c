package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

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
	// Reuse keeps what is in the way where it is of the same kind: a
	// regular file (not hard linked) is rewritten in place, its bytes only
	// where they differ; a symlink to the same target stays. Either then
	// gets the entry's metadata, extended attributes the entry lacks
	// removed. Unpacking a stream again over its own earlier unpacking
	// then creates no inode (the scratch directories of build contexts).
	Reuse bool
	// Seen, if set, is told of every entry unpacked: its clean absolute
	// name, its header and, for a regular file, the digest of its content.
	Seen func(name string, hdr *tar.Header, content digest.Digest)
}

// Result describes an applied layer.
type Result struct {
	DiffID      digest.Digest // digest of the uncompressed tar stream
	Size        int64         // bytes of regular file content unpacked
	Compression Compression   // compression of the input stream
	Stats       Stats         // where Apply's time went
}

// Stats say where the time of an Apply went. Reading and decompressing
// overlap with extracting, so the parts add up to more than Total.
type Stats struct {
	Total      time.Duration // the whole Apply
	Input      time.Duration // the decompressor waiting for the compressed stream (the network, a disk)
	Decompress time.Duration // decompressing, waits for input aside
	Extract    time.Duration // parsing the tar, hashing it and writing files, waits for data aside
}

// Apply decompresses r (gzip, zstd, bzip2 or plain), unpacks it into dir
// and returns the uncompressed stream's digest, computed as it streams.
// Reading r, decompressing, and unpacking (with the digest) each run in a
// goroutine of their own, a few chunks apart, so that they overlap.
func Apply(ctx context.Context, r io.Reader, dir string, opts Options) (Result, error) {
	start := time.Now()
	in := newReadAhead(r, inputChunks, inputChunkSize)
	defer in.Close()
	dr, c, err := DecompressStream(in)
	if err != nil {
		return Result{}, err
	}
	defer dr.Close()
	decompressing := &timedReader{r: dr}
	ra := newReadAhead(decompressing, readAheadChunks, readAheadChunkSize)
	defer ra.Close()
	digester := digest.SHA256.Digester()
	tr := io.TeeReader(ra, digester.Hash())
	size, err := unpack(ctx, tr, dir, opts)
	if err != nil {
		return Result{}, err
	}
	// The diffID covers the whole stream, tar padding included.
	if _, err := io.Copy(io.Discard, tr); err != nil {
		return Result{}, err
	}
	ra.Close()
	in.Close()
	total := time.Since(start)
	return Result{DiffID: digester.Digest(), Size: size, Compression: c, Stats: Stats{
		Total:      total,
		Input:      in.waited,
		Decompress: decompressing.took - in.waited,
		Extract:    total - ra.waited,
	}}, nil
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

// openDir is a directory of the layer held open while entries go into it.
type openDir struct {
	f   *os.File
	rel string // relative to the root, "." for the root
}

// maxOpenDirs bounds the directories an unpack holds open.
const maxOpenDirs = 256

type unpacker struct {
	dir  string
	root *os.Root
	opts Options
	buf  []byte // file content passes through it

	// dirs are the directories entries went into, by their clean
	// absolute name in the layer, each resolved once: a later entry in the
	// same directory reuses the open directory instead of resolving its
	// path again. Entries are only ever added below real directories, so
	// a resolution stays true until something is removed (a replaced
	// entry, a whiteout); every removal forgets them all.
	dirs map[string]openDir
	// stale are forgotten directories still in use by the current entry.
	stale []*os.File
	// content is the digest of the current entry's content (Options.Seen).
	content digest.Digest
	// written are the entries unpacked so far (with Reuse).
	written map[string]bool
	old     []byte // with Reuse: what a rewritten file held
	xattrs  []byte // with Reuse: names of xattrs
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
	u := &unpacker{dir: dir, root: root, opts: opts, buf: make([]byte, 1<<20), dirs: map[string]openDir{}}
	defer u.closeDirs()
	if opts.Reuse {
		if !opts.NoWhiteouts {
			return 0, errors.New("unpacking with Reuse needs NoWhiteouts")
		}
		u.written = map[string]bool{}
	}

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
		u.content = ""
		err = u.entry(name, hdr, tr)
		u.closeStale()
		if err != nil {
			return 0, fmt.Errorf("unpacking %s: %w", hdr.Name, err)
		}
		if u.written != nil {
			u.written[name] = true
		}
		if u.opts.Seen != nil {
			u.opts.Seen(name, hdr, u.content)
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirTimes{rel: strings.TrimPrefix(name, "/"), atime: hdr.AccessTime, mtime: hdr.ModTime})
		}
	}
	if u.opts.Reuse {
		if err := u.prune(""); err != nil {
			return 0, err
		}
	}
	u.closeDirs()
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
		err = futimens(int(f.Fd()), timespecs(d.atime, d.mtime))
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

// futimens sets the times of the open file fd (utimensat with a NULL
// path, which x/sys/unix does not offer).
func futimens(fd int, ts []unix.Timespec) error {
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

func fdPath(f *os.File, base string) string {
	p := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	if base != "" {
		p += "/" + base
	}
	return p
}

// forgetDirs drops every resolved directory (something was removed);
// those in use by the current entry are closed after it.
func (u *unpacker) forgetDirs() {
	for k, d := range u.dirs {
		u.stale = append(u.stale, d.f)
		delete(u.dirs, k)
	}
}

func (u *unpacker) closeStale() {
	for _, f := range u.stale {
		f.Close()
	}
	u.stale = u.stale[:0]
}

func (u *unpacker) closeDirs() {
	u.forgetDirs()
	u.closeStale()
}

// openParent returns the open parent directory of name (a clean absolute
// path inside the layer) and its path relative to the root, creating it
// if missing. The caller must not close it.
func (u *unpacker) openParent(name string) (*os.File, string, error) {
	d, err := u.openDir(path.Dir(name))
	return d.f, d.rel, err
}

// openDir returns the directory name (a clean absolute path inside the
// layer) resolved with symlinks resolved as if dir were "/", creating it
// if missing: from the directories already open, by stepping into a real
// directory below an open one, or else by resolving the whole path.
func (u *unpacker) openDir(name string) (openDir, error) {
	if d, ok := u.dirs[name]; ok {
		return d, nil
	}
	if name != "/" {
		if d, ok := u.stepInto(name); ok {
			return u.remember(name, d), nil
		}
		if u.opts.Reuse {
			// Something left from before may be in the way, or be
			// followed below: clear it first.
			if err := u.prune(name); err != nil {
				return openDir{}, err
			}
			if d, ok := u.stepInto(name); ok {
				return u.remember(name, d), nil
			}
		}
	}
	d, err := u.resolveDir(name)
	if err != nil {
		return openDir{}, err
	}
	return u.remember(name, d), nil
}

// stepInto opens name as a real directory (created if missing) inside its
// open parent; ok is false where that does not work (a symlink, a file:
// the full resolution decides).
func (u *unpacker) stepInto(name string) (openDir, bool) {
	parent, err := u.openDir(path.Dir(name))
	if err != nil {
		return openDir{}, false
	}
	base := path.Base(name)
	pfd := int(parent.f.Fd())
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(pfd, base, flags, 0)
	if errors.Is(err, unix.ENOENT) {
		if err := unix.Mkdirat(pfd, base, 0o755); err != nil {
			return openDir{}, false
		}
		fd, err = unix.Openat(pfd, base, flags, 0)
	}
	if err != nil {
		return openDir{}, false
	}
	rel := base
	if parent.rel != "." {
		rel = parent.rel + "/" + base
	}
	return openDir{f: os.NewFile(uintptr(fd), rel), rel: rel}, true
}

// resolveDir resolves name with symlinks evaluated inside the root,
// creates it if missing, and opens it through the os.Root so nothing can
// escape dir.
func (u *unpacker) resolveDir(name string) (openDir, error) {
	resolved, err := securejoin.SecureJoin(u.dir, name)
	if err != nil {
		return openDir{}, err
	}
	rel, err := filepath.Rel(u.dir, resolved)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return openDir{}, fmt.Errorf("path %s escapes the layer root", name)
	}
	if rel != "." {
		if err := u.root.MkdirAll(rel, 0o755); err != nil {
			return openDir{}, err
		}
	}
	f, err := u.root.OpenFile(rel, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return openDir{}, err
	}
	return openDir{f: f, rel: rel}, nil
}

func (u *unpacker) remember(name string, d openDir) openDir {
	if len(u.dirs) >= maxOpenDirs {
		u.forgetDirs()
	}
	u.dirs[name] = d
	return d
}

// replace removes what is at rel (relative to the root) so that an entry
// can take its place; the directories held open are forgotten.
func (u *unpacker) replace(rel string) error {
	u.forgetDirs()
	return u.removeExisting(rel)
}

// create runs mk, which makes base; where something is in the way it is
// replaced (keep reports an existing entry to keep as it is: directory
// over directory).
func (u *unpacker) create(pfd int, base, rel string, mk func() error, keep func(st *unix.Stat_t) bool) error {
	err := mk()
	if !errors.Is(err, unix.EEXIST) {
		return err
	}
	if keep != nil {
		var st unix.Stat_t
		if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		if keep(&st) {
			return nil
		}
	}
	if err := u.replace(rel); err != nil {
		return err
	}
	return mk()
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
			if err := u.replace(filepath.Join(prel, victim)); err != nil {
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

	// Each kind is created where nothing is; whatever is in the way is
	// replaced, unless both are directories.
	switch hdr.Typeflag {
	case tar.TypeDir:
		isDir := func(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFDIR }
		if err := u.create(pfd, base, rel, func() error { return unix.Mkdirat(pfd, base, 0o700) }, isDir); err != nil {
			return err
		}
	case tar.TypeReg, tar.TypeRegA:
		return u.file(pfd, base, rel, hdr, r)
	case tar.TypeSymlink:
		var same func(*unix.Stat_t) bool
		if u.opts.Reuse {
			same = func(st *unix.Stat_t) bool {
				return st.Mode&unix.S_IFMT == unix.S_IFLNK && readlinkat(pfd, base) == hdr.Linkname
			}
		}
		if err := u.create(pfd, base, rel, func() error { return unix.Symlinkat(hdr.Linkname, pfd, base) }, same); err != nil {
			return err
		}
	case tar.TypeLink:
		target := path.Clean("/" + filepath.ToSlash(hdr.Linkname))
		if target == "/" {
			return fmt.Errorf("invalid hard link target %q", hdr.Linkname)
		}
		// The target's directory is resolved after anything in the way is
		// gone (a removal forgets the directories).
		if u.opts.Reuse && !u.written[target] {
			// Only what this stream wrote may be linked to.
			if err := u.prune(name); err != nil {
				return err
			}
		}
		link := func() error {
			tf, _, err := u.openParent(target)
			if err != nil {
				return fmt.Errorf("hard link target %s: %w", hdr.Linkname, err)
			}
			if err := unix.Linkat(int(tf.Fd()), path.Base(target), pfd, base, 0); err != nil {
				return fmt.Errorf("hard link to %s: %w", hdr.Linkname, err)
			}
			return nil
		}
		if err := u.create(pfd, base, rel, link, nil); err != nil {
			return err
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
		if err := u.create(pfd, base, rel, func() error { return unix.Mknodat(pfd, base, m|0o600, int(dev)) }, nil); err != nil {
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

// readlinkat returns the target of the symlink base in dirfd ("" if none).
func readlinkat(dirfd int, base string) string {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dirfd, base, buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// file writes a regular file and sets its metadata through the open file.
func (u *unpacker) file(pfd int, base, rel string, hdr *tar.Header, r io.Reader) error {
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	var (
		fd     int
		reused *unix.Stat_t // the file rewritten in place
	)
	open := func() error {
		var err error
		fd, err = unix.Openat(pfd, base, flags, 0o600)
		return err
	}
	if u.opts.Reuse {
		fd, reused = openReusable(pfd, base)
	}
	if reused == nil {
		if err := u.create(pfd, base, rel, open, nil); err != nil {
			return err
		}
	}
	err := u.fill(fd, reused, hdr, r)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	return err
}

// openReusable opens the regular file base in dirfd for rewriting in
// place, unless it is anything else or hard linked.
// Reading it does not touch its access time.
// It is looked at before it is opened: opening a device has effects.
func openReusable(dirfd int, base string) (int, *unix.Stat_t) {
	reusable := func(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink == 1 }
	var st unix.Stat_t
	if unix.Fstatat(dirfd, base, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || !reusable(&st) {
		return -1, nil
	}
	fd, err := unix.Openat(dirfd, base, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOATIME, 0)
	if err != nil {
		return -1, nil
	}
	if unix.Fstat(fd, &st) != nil || !reusable(&st) {
		unix.Close(fd)
		return -1, nil
	}
	return fd, &st
}

func (u *unpacker) fill(fd int, reused *unix.Stat_t, hdr *tar.Header, r io.Reader) error {
	var w io.Writer = fdWriter(fd)
	var rw *rewriter
	if reused != nil {
		if u.old == nil {
			u.old = make([]byte, len(u.buf))
		}
		rw = &rewriter{fd: fd, buf: u.old}
		w = rw
	}
	var h hash.Hash
	if u.opts.Seen != nil {
		h = sha256.New()
		w = io.MultiWriter(w, h)
	}
	n, err := io.CopyBuffer(w, r, u.buf)
	if err != nil {
		return err
	}
	if h != nil {
		u.content = digest.NewDigest(digest.SHA256, h)
	}
	// A reused file that is as the entry says keeps its owner, mode and
	// times: setting them again is what costs, with nothing to change.
	unchanged := false
	if reused != nil {
		unchanged = !rw.wrote && reused.Size == n
		if reused.Size != n {
			if err := unix.Ftruncate(fd, n); err != nil {
				return err
			}
		}
		if err := u.removeOtherXattrs(fd, "", hdr); err != nil {
			return err
		}
	}
	chowned := false
	if !u.opts.NoChown {
		uid, gid, err := u.owner(hdr)
		if err != nil {
			return err
		}
		if reused == nil || reused.Uid != uint32(uid) || reused.Gid != uint32(gid) {
			if err := unix.Fchown(fd, uid, gid); err != nil {
				return fmt.Errorf("chown: %w", err)
			}
			chowned = true
		}
	}
	// After chown, which clears set-id bits.
	mode := uint32(hdr.Mode & 0o7777)
	if reused == nil || chowned || reused.Mode&0o7777 != mode {
		if err := unix.Fchmod(fd, mode); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	}
	ts := timespecs(hdr.AccessTime, hdr.ModTime)
	if unchanged && reused.Atim == ts[0] && reused.Mtim == ts[1] && !hasXattrs(hdr) {
		return nil
	}
	for name, v := range xattrs(hdr) {
		if err := unix.Fsetxattr(fd, name, []byte(v), 0); err != nil {
			if errors.Is(err, unix.ENOTSUP) {
				slog.Debug("ignoring xattr", "name", hdr.Name, "xattr", name, "err", err)
				continue
			}
			return fmt.Errorf("xattr %s: %w", name, err)
		}
	}
	if err := futimens(fd, ts); err != nil {
		return fmt.Errorf("setting times: %w", err)
	}
	return nil
}

func hasXattrs(hdr *tar.Header) bool {
	for range xattrs(hdr) {
		return true
	}
	return false
}

// rewriter writes a file over an existing one, only where the bytes
// differ.
type rewriter struct {
	fd    int
	off   int64
	buf   []byte
	wrote bool // some bytes differed
}

func (w *rewriter) Write(p []byte) (int, error) {
	old := w.buf[:len(p)]
	n, _ := unix.Pread(w.fd, old, w.off)
	if n != len(p) || !bytes.Equal(old, p) {
		w.wrote = true
		for done := 0; done < len(p); {
			m, err := unix.Pwrite(w.fd, p[done:], w.off+int64(done))
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				return done, err
			}
			done += m
		}
	}
	w.off += int64(len(p))
	return len(p), nil
}

// removeOtherXattrs removes the extended attributes of a reused entry that
// hdr does not carry: of fd, or of the path p when it is not "".
func (u *unpacker) removeOtherXattrs(fd int, p string, hdr *tar.Header) error {
	if u.xattrs == nil {
		u.xattrs = make([]byte, 64<<10) // the most a list can be
	}
	buf := u.xattrs
	var n int
	var err error
	if p == "" {
		n, err = unix.Flistxattr(fd, buf)
	} else {
		n, err = unix.Llistxattr(p, buf)
	}
	if err != nil {
		if errors.Is(err, unix.ENOTSUP) {
			return nil
		}
		return fmt.Errorf("listing xattrs: %w", err)
	}
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if name == "" {
			continue
		}
		if _, keep := hdr.PAXRecords["SCHILY.xattr."+name]; keep {
			continue
		}
		if p == "" {
			err = unix.Fremovexattr(fd, name)
		} else {
			err = unix.Lremovexattr(p, name)
		}
		if err != nil && !errors.Is(err, unix.ENODATA) {
			return fmt.Errorf("removing xattr %s: %w", name, err)
		}
	}
	return nil
}

// fdWriter writes to a file descriptor, all of each buffer.
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(int(w), p[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// xattrs yields the extended attributes a tar header carries.
func xattrs(hdr *tar.Header) func(yield func(name, value string) bool) {
	return func(yield func(name, value string) bool) {
		for k, v := range hdr.PAXRecords {
			if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok && !yield(name, v) {
				return
			}
		}
	}
}

func (u *unpacker) owner(hdr *tar.Header) (int, int, error) {
	uid, gid := hdr.Uid, hdr.Gid
	if u.opts.IDs != nil {
		var err error
		if uid, gid, err = u.opts.IDs.ToHost(uid, gid); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", hdr.Name, err)
		}
	}
	return uid, gid, nil
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
		uid, gid, err := u.owner(hdr)
		if err != nil {
			return err
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
	if u.opts.Reuse {
		p := ""
		if base != "" {
			p = fdPath(pf, base)
		}
		if err := u.removeOtherXattrs(dirfd, p, hdr); err != nil {
			return err
		}
	}
	for name, v := range xattrs(hdr) {
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
