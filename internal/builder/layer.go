package builder

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/image"
	"github.com/tug-project/tug/internal/mount"
)

// storeTar stores the layer tar that fill writes: the blob in the content
// store and its snapshot on top of parent, in one pass.
func (j *job) storeTar(ctx context.Context, parent digest.Digest, fill func(tw *tarWriter) error) (*image.Layer, error) {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 64<<10)
		tw := &tarWriter{tw: tar.NewWriter(bw), seen: map[string]bool{}}
		err := fill(tw)
		if err == nil {
			err = tw.tw.Close()
		}
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	defer pr.CloseWithError(io.ErrClosedPipe)
	return j.storeStream(ctx, parent, pr)
}

// storeDiff stores the diff of a container's upper dir as a layer; an
// empty diff makes no layer (nil).
func (j *job) storeDiff(ctx context.Context, parent digest.Digest, upper string, ids archive.IDMap) (*image.Layer, error) {
	entries, err := os.ReadDir(upper)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil
	}
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 64<<10)
		_, err := archive.Diff(ctx, upper, bw, ids)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	defer pr.CloseWithError(io.ErrClosedPipe)
	return j.storeStream(ctx, parent, pr)
}

func (j *job) storeStream(ctx context.Context, parent digest.Digest, r io.Reader) (*image.Layer, error) {
	cw, err := j.b.content.Writer(ctx)
	if err != nil {
		return nil, err
	}
	defer cw.Close()
	tee := io.TeeReader(r, cw)
	l, err := j.b.snapshots.Apply(ctx, parent, "", tee)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, err
	}
	blob, size, err := cw.Commit(ctx, "", -1)
	if err != nil {
		return nil, err
	}
	return &image.Layer{Digest: blob, DiffID: l.DiffID, Size: size, MediaType: ocispec.MediaTypeImageLayer}, nil
}

// tarWriter writes a layer, each directory once.
type tarWriter struct {
	tw   *tar.Writer
	seen map[string]bool
}

func tarName(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

// existingDir writes a directory entry that keeps fi's owner, mode and
// times.
func (t *tarWriter) existingDir(p string, fi fs.FileInfo) error {
	name := tarName(p)
	if name == "" || t.seen[name] {
		return nil
	}
	hdr, err := tar.FileInfoHeader(fi, "")
	if err != nil {
		return err
	}
	t.seen[name] = true
	hdr.Name, hdr.Uname, hdr.Gname, hdr.Format = name+"/", "", "", tar.FormatPAX
	return t.tw.WriteHeader(hdr)
}

func (t *tarWriter) dir(p string, mode fs.FileMode, uid, gid int, mtime time.Time) error {
	name := tarName(p)
	if name == "" || t.seen[name] {
		return nil
	}
	t.seen[name] = true
	return t.tw.WriteHeader(&tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: int64(mode.Perm()), Uid: uid, Gid: gid, ModTime: mtime.Truncate(time.Second), Format: tar.FormatPAX})
}

// header writes hdr (its name made relative) with body r for regular files.
func (t *tarWriter) header(hdr *tar.Header, r io.Reader) error {
	hdr.Name = tarName(hdr.Name)
	if hdr.Typeflag == tar.TypeDir {
		if t.seen[hdr.Name] {
			return nil
		}
		t.seen[hdr.Name] = true
		hdr.Name += "/"
	}
	hdr.Uname, hdr.Gname = "", ""
	hdr.Format = tar.FormatPAX
	hdr.ModTime = hdr.ModTime.Truncate(time.Second)
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	if err := t.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeReg && r != nil {
		if _, err := io.Copy(t.tw, r); err != nil {
			return err
		}
	}
	return nil
}

// rootfsView is a read-only view of a layer chain's root filesystem.
type rootfsView struct {
	dir     string
	root    *os.Root
	cleanup func()
}

func (v *rootfsView) release() {
	if v.root != nil {
		v.root.Close()
	}
	if v.cleanup != nil {
		v.cleanup()
	}
}

// rootfsView mounts (read-only) the root filesystem of chain, or uses the
// single layer's directory directly.
func (j *job) rootfsView(ctx context.Context, chain digest.Digest) (*rootfsView, error) {
	var lowers []string
	for id := chain; id != ""; {
		l, err := j.b.snapshots.Layer(id)
		if err != nil {
			return nil, err
		}
		lowers = append(lowers, j.b.snapshots.LayerFS(id))
		id = l.Parent
	}
	v := &rootfsView{}
	switch len(lowers) {
	case 0:
		dir, err := os.MkdirTemp(filepath.Join(j.b.root, "tmp"), "empty-")
		if err != nil {
			return nil, err
		}
		v.dir, v.cleanup = dir, func() { os.RemoveAll(dir) }
	case 1:
		v.dir = lowers[0]
	default:
		dir, err := os.MkdirTemp(filepath.Join(j.b.root, "tmp"), "view-")
		if err != nil {
			return nil, err
		}
		m := mount.Mount{Type: "overlay", Source: "overlay", Options: []string{"ro", "lowerdir=" + strings.Join(lowers, ":")}}
		if err := mount.All([]mount.Mount{m}, dir); err != nil {
			os.Remove(dir)
			return nil, fmt.Errorf("mounting the build's root filesystem: %w", err)
		}
		v.dir, v.cleanup = dir, func() {
			_ = mount.UnmountAll(dir)
			_ = os.Remove(dir)
		}
	}
	root, err := os.OpenRoot(v.dir)
	if err != nil {
		v.release()
		return nil, err
	}
	v.root = root
	return v, nil
}

func (v *rootfsView) rel(p string) string {
	r := tarName(p)
	if r == "" {
		return "."
	}
	return r
}

// isDir reports whether p is a directory (following symlinks inside).
func (v *rootfsView) isDir(p string) bool {
	fi, err := v.root.Stat(v.rel(p))
	return err == nil && fi.IsDir()
}

// missingDirs lists p and its parents that do not exist, top first.
func (v *rootfsView) missingDirs(p string) []string {
	var out []string
	for d := path.Clean("/" + p); d != "/"; d = path.Dir(d) {
		if v.isDir(d) {
			break
		}
		out = append([]string{d}, out...)
	}
	return out
}

// existingDirs lists the directories on the way to p that exist in the
// rootfs as directories (not through symlinks), top first, with their
// info: a layer that adds below them carries them as they are, so that
// unpacking it keeps their owner, mode and times.
func (v *rootfsView) existingDirs(p string) ([]string, []fs.FileInfo) {
	var names []string
	for d := path.Clean("/" + p); d != "/"; d = path.Dir(d) {
		names = append([]string{d}, names...)
	}
	var out []string
	var infos []fs.FileInfo
	for _, d := range names {
		fi, err := v.root.Lstat(v.rel(d))
		if err != nil || !fi.IsDir() {
			break
		}
		out, infos = append(out, d), append(infos, fi)
	}
	return out, infos
}

// chownIDs resolves --chown's user[:group] with the image's passwd and group files.
func (v *rootfsView) chownIDs(spec string) (int, int, error) {
	if spec == "" {
		return 0, 0, nil
	}
	u, g, hasGroup := strings.Cut(spec, ":")
	uid, err := v.lookupID("etc/passwd", u)
	if err != nil {
		return 0, 0, fmt.Errorf("unable to convert uid/gid chown string to host mapping: %w", err)
	}
	gid := uid
	if hasGroup {
		if gid, err = v.lookupID("etc/group", g); err != nil {
			return 0, 0, fmt.Errorf("unable to convert uid/gid chown string to host mapping: %w", err)
		}
	}
	return uid, gid, nil
}

func (v *rootfsView) lookupID(file, name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	b, err := v.root.ReadFile(file)
	if err != nil {
		return 0, fmt.Errorf("can't find uid for user %s: no such user: %s", name, name)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[0] == name {
			if n, err := strconv.Atoi(f[2]); err == nil {
				return n, nil
			}
		}
	}
	what := "user"
	if strings.HasSuffix(file, "group") {
		what = "group"
	}
	return 0, fmt.Errorf("no such %s: %s", what, name)
}

var errNotArchive = errors.New("not an archive")
