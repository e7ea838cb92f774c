package builder

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/builder/cache"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
	"github.com/tug-project/tug/internal/snapshot/overlay"
)

type copyRequest struct {
	instructions.SourcesAndDest
	cmd          string // COPY or ADD
	from         string
	chown, chmod string
	add          bool
	node         instructions.Command
}

// match is one source after glob expansion.
type match struct {
	rel  string // slash path relative to the source root ("." for the root)
	fi   fs.FileInfo
	data *string // heredoc content
	url  string  // ADD of a URL: downloaded to file
	file string  // host path of a downloaded file
}

// sourceRoot is where COPY reads from: the context or another stage's or
// image's root filesystem.
type sourceRoot struct {
	root *os.Root
	bctx *buildContext // nil unless the build context
}

func (s *sourceRoot) excluded(rel string) bool { return s.bctx != nil && s.bctx.excluded(rel) }

// skipDir reports whether nothing under the excluded directory rel is
// brought back by an exception pattern.
func (s *sourceRoot) skipDir(rel string) bool { return s.bctx != nil && s.bctx.skipDir(rel) }

// digest returns the content digest of the regular file rel, whose Lstat
// info is fi: from the context's hash cache when it has one.
func (s *sourceRoot) digest(rel string, fi fs.FileInfo) (digest.Digest, error) {
	if s.bctx != nil && s.bctx.hashes != nil {
		return s.bctx.hashes.Digest(s.root, rel, fi)
	}
	return rootDigest(s.root, rel)
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// expand finds the files a source pattern names.
func (s *sourceRoot) expand(pattern string) ([]match, error) {
	clean := strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(pattern)), "/")
	if clean == "" {
		clean = "."
	}
	if !hasMeta(clean) {
		fi, err := s.root.Lstat(clean)
		if err != nil || (s.excluded(clean) && (!fi.IsDir() || s.skipDir(clean))) {
			return nil, nil
		}
		return []match{{rel: clean, fi: fi}}, nil
	}
	var out []match
	err := fs.WalkDir(s.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		ok, merr := path.Match(clean, p)
		if merr != nil {
			return merr
		}
		if ok && !s.excluded(p) {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, match{rel: p, fi: fi})
			if d.IsDir() {
				return fs.SkipDir
			}
		}
		return nil
	})
	return out, err
}

// walk calls fn for m and, for a directory, everything under it not
// excluded, in lexical order; sub is the path relative to m.
func (s *sourceRoot) walk(m match, fn func(sub string, rel string, fi fs.FileInfo) error) error {
	if !m.fi.IsDir() {
		return fn("", m.rel, m.fi)
	}
	return fs.WalkDir(s.root.FS(), m.rel, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != m.rel && s.excluded(p) {
			if d.IsDir() && s.skipDir(p) {
				return fs.SkipDir
			}
			return nil // an exception may bring back what is under it
		}
		fi, err := s.root.Lstat(p)
		if err != nil {
			return err
		}
		sub := strings.TrimPrefix(strings.TrimPrefix(p, m.rel), "/")
		if m.rel == "." {
			sub = p
			if p == "." {
				sub = ""
			}
		}
		return fn(sub, p, fi)
	})
}

func (j *job) copyStep(ctx context.Context, r *stageRun, w stageWriter, st *state, req copyRequest) error {
	fail := func(err error) error { return j.stepError(req.node, err) }
	if len(req.SourcePaths) == 0 && len(req.SourceContents) == 0 {
		return fail(errNoSource)
	}
	// Where the files come from.
	src := &sourceRoot{}
	var fromID digest.Digest
	if req.from != "" {
		from, err := j.expand(req.from, j.metaEnv())
		if err != nil {
			return fail(err)
		}
		var chain digest.Digest
		if k, ok := j.stageIndex(from, r.idx); ok {
			fs := j.runs[k].st
			chain, fromID = fs.chain(), fs.id
			if fromID == "" {
				fromID = digest.FromString("scratch")
			}
		} else {
			img, err := j.baseImage(ctx, from)
			if err != nil {
				return fail(err)
			}
			chain, fromID = img.ChainID, img.ID
		}
		view, err := j.rootfsView(ctx, chain)
		if err != nil {
			return fail(err)
		}
		defer view.release()
		src.root = view.root
	} else {
		root, err := os.OpenRoot(j.bctx.dir)
		if err != nil {
			return err
		}
		defer root.Close()
		src.root, src.bctx = root, j.bctx
	}

	var matches []match
	wildcard := false
	for _, p := range req.SourcePaths {
		if req.add && req.from == "" && isURL(p) {
			m, cleanup, err := j.download(ctx, p)
			if err != nil {
				return fail(err)
			}
			defer cleanup()
			matches = append(matches, m)
			continue
		}
		if hasMeta(p) {
			wildcard = true
		}
		ms, err := src.expand(p)
		if err != nil {
			return fail(err)
		}
		if len(ms) == 0 {
			if hasMeta(p) {
				return fail(fmt.Errorf("%s failed: no source files were specified", req.cmd))
			}
			if req.from != "" {
				return fail(fmt.Errorf("%s failed: stat %s: file does not exist: %w", req.cmd, p, errdefs.ErrNotFound))
			}
			return fail(fmt.Errorf("%s failed: file not found in build context or excluded by .dockerignore: stat %s: file does not exist: %w", req.cmd, p, errdefs.ErrNotFound))
		}
		matches = append(matches, ms...)
	}
	for i := range req.SourceContents {
		c := req.SourceContents[i]
		matches = append(matches, match{rel: path.Base(c.Path), data: &c.Data})
	}

	dest := req.DestPath
	destIsDir := strings.HasSuffix(dest, "/") || dest == "." || strings.HasSuffix(dest, "/.")
	if !path.IsAbs(dest) {
		wd := st.cfg.Config.WorkingDir
		if wd == "" {
			wd = "/"
		}
		dest = path.Join(wd, dest)
	}
	dest = path.Clean(dest)
	if (len(matches) > 1 || wildcard) && !destIsDir {
		return fail(fmt.Errorf("When using %s with more than one source file, the destination must be a directory and end with a /", req.cmd))
	}

	// The cache key: what the files are, not when they were touched.
	var files []cache.File
	for _, m := range matches {
		switch {
		case m.data != nil:
			files = append(files, cache.File{Path: "heredoc:" + m.rel, Content: digest.FromString(*m.data)})
		case m.file != "":
			d, err := fileDigest(m.file)
			if err != nil {
				return fail(err)
			}
			files = append(files, cache.File{Path: m.url, Content: d})
		case fromID != "":
			files = append(files, cache.File{Path: m.rel, Content: fromID})
		default:
			err := src.walk(m, func(sub, rel string, fi fs.FileInfo) error {
				f := cache.File{Path: m.rel + "\x00" + sub, Mode: fi.Mode(), Size: fi.Size()}
				switch {
				case fi.Mode().IsRegular():
					d, err := src.digest(rel, fi)
					if err != nil {
						return err
					}
					f.Content = d
				case fi.Mode()&fs.ModeSymlink != 0:
					f.Link, _ = src.root.Readlink(rel)
				}
				if fi.IsDir() {
					f.Size = 0
					if sub == "" {
						// A copied directory's own metadata is not copied
						// (its contents go to the destination), and the
						// context root's is not even sent in a tar.
						f.Mode = fs.ModeDir
					}
				}
				files = append(files, f)
				return nil
			})
			if err != nil {
				return fail(err)
			}
		}
	}
	sum := cache.SourcesDigest(files)
	kind := "multi"
	if len(matches) == 1 {
		kind = "file"
		if matches[0].fi != nil && matches[0].fi.IsDir() {
			kind = "dir"
		}
	}
	createdBy := strings.Join(append(slices.Clone(st.shell()), fmt.Sprintf("#(nop) %s %s:%s in %s ", req.cmd, kind, sum.Encoded(), dest)), " ")
	keyExtra := fmt.Sprintf("chown=%s chmod=%s from=%s", req.chown, req.chmod, fromID)

	var mode *fs.FileMode
	if req.chmod != "" {
		n, err := strconv.ParseUint(req.chmod, 8, 32)
		if err != nil || n > 0o7777 {
			return fail(fmt.Errorf("invalid chmod parameter: %s", req.chmod))
		}
		m := fs.FileMode(n)
		mode = &m
	}
	parent := st.chain()
	build := func(ctx context.Context) (*image.Layer, error) {
		view, err := j.rootfsView(ctx, parent)
		if err != nil {
			return nil, err
		}
		defer view.release()
		uid, gid, err := view.chownIDs(req.chown)
		if err != nil {
			return nil, fail(err)
		}
		now := time.Now()
		return j.storeTar(ctx, parent, func(tw *tarWriter) error {
			mkdirs := func(p string) error {
				// Existing directories keep their owner, mode and times;
				// only those COPY creates get the chown.
				dirs, infos := view.existingDirs(p)
				for i, d := range dirs {
					if err := tw.existingDir(d, infos[i]); err != nil {
						return err
					}
				}
				for _, d := range view.missingDirs(p) {
					if err := tw.dir(d, 0o755, uid, gid, now); err != nil {
						return err
					}
				}
				return nil
			}
			fileDest := func(name string) string {
				if destIsDir || view.isDir(dest) {
					return path.Join(dest, name)
				}
				return dest
			}
			for _, m := range matches {
				switch {
				case m.data != nil:
					target := fileDest(m.rel)
					if err := mkdirs(path.Dir(target)); err != nil {
						return err
					}
					perm := int64(0o644)
					if mode != nil {
						perm = int64(*mode)
					}
					hdr := &tar.Header{Name: target, Typeflag: tar.TypeReg, Mode: perm, Uid: uid, Gid: gid, Size: int64(len(*m.data)), ModTime: now}
					if err := tw.header(hdr, strings.NewReader(*m.data)); err != nil {
						return err
					}
				case m.file != "":
					target := fileDest(path.Base(m.rel))
					if err := mkdirs(path.Dir(target)); err != nil {
						return err
					}
					if err := writeHostFile(tw, m.file, target, 0o600, mode, uid, gid, m.fi.ModTime()); err != nil {
						return err
					}
				case m.fi.IsDir():
					if err := mkdirs(dest); err != nil {
						return err
					}
					err := src.walk(m, func(sub, rel string, fi fs.FileInfo) error {
						if sub == "" {
							return nil // the directory itself: its contents go to dest
						}
						return copyEntry(tw, src.root, rel, path.Join(dest, sub), fi, mode, uid, gid)
					})
					if err != nil {
						return err
					}
				default:
					if req.add && fromID == "" && m.fi.Mode().IsRegular() {
						ok, err := extractArchive(tw, src.root, m.rel, dest, mkdirs)
						if err != nil {
							return err
						}
						if ok {
							continue
						}
					}
					target := fileDest(path.Base(m.rel))
					if err := mkdirs(path.Dir(target)); err != nil {
						return err
					}
					if err := copyEntry(tw, src.root, m.rel, target, m.fi, mode, uid, gid); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	return j.commitKeyed(ctx, w, st, createdBy, keyExtra, nil, sum, build, nil)
}

// copyEntry writes one file, directory or link of the source to target.
func copyEntry(tw *tarWriter, root *os.Root, rel, target string, fi fs.FileInfo, mode *fs.FileMode, uid, gid int) error {
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		l, err := root.Readlink(rel)
		if err != nil {
			return err
		}
		link = l
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name = target
	hdr.Uid, hdr.Gid = uid, gid
	if mode != nil && hdr.Typeflag != tar.TypeSymlink {
		hdr.Mode = int64(*mode)
	}
	if hdr.Typeflag == tar.TypeChar || hdr.Typeflag == tar.TypeBlock {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		}
	}
	if hdr.Typeflag != tar.TypeReg {
		return tw.header(hdr, nil)
	}
	f, err := root.Open(rel)
	if err != nil {
		return err
	}
	defer f.Close()
	return tw.header(hdr, f)
}

func writeHostFile(tw *tarWriter, file, target string, perm fs.FileMode, mode *fs.FileMode, uid, gid int, mtime time.Time) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if mode != nil {
		perm = *mode
	}
	return tw.header(&tar.Header{Name: target, Typeflag: tar.TypeReg, Mode: int64(perm), Uid: uid, Gid: gid, Size: fi.Size(), ModTime: mtime}, f)
}

func rootDigest(root *os.Root, rel string) (digest.Digest, error) {
	f, err := root.Open(rel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return digest.SHA256.FromReader(f)
}

func fileDigest(p string) (digest.Digest, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return digest.SHA256.FromReader(f)
}

// extractArchive writes the entries of the tar (possibly compressed) at rel
// under dest; it reports false, writing nothing, if the file is no archive.
func extractArchive(tw *tarWriter, root *os.Root, rel, dest string, mkdirs func(string) error) (bool, error) {
	f, err := root.Open(rel)
	if err != nil {
		return false, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	dr, _, err := archive.DecompressStream(br)
	if err != nil {
		return false, nil
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	hdr, err := tr.Next()
	if err != nil {
		return false, nil // not a tar: copied as a file
	}
	if err := mkdirs(dest); err != nil {
		return true, err
	}
	for ; err == nil; hdr, err = tr.Next() {
		name := path.Clean("/" + hdr.Name)
		if name == "/" {
			continue
		}
		h := *hdr
		h.Name = path.Join(dest, name)
		if h.Typeflag == tar.TypeLink {
			h.Linkname = strings.TrimPrefix(path.Join(dest, path.Clean("/"+h.Linkname)), "/")
		}
		if err := mkdirs(path.Dir(h.Name)); err != nil {
			return true, err
		}
		if err := tw.header(&h, tr); err != nil {
			return true, err
		}
	}
	if !errors.Is(err, io.EOF) {
		return true, fmt.Errorf("extracting %s: %w", rel, err)
	}
	return true, nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// download fetches an ADD URL to a temporary file.
func (j *job) download(ctx context.Context, rawURL string) (match, func(), error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return match{}, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return match{}, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return match{}, nil, fmt.Errorf("failed to GET %s: %w", rawURL, errdefs.ErrUnavailable)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return match{}, nil, fmt.Errorf("failed to GET %s with status %s", rawURL, resp.Status)
	}
	f, err := os.CreateTemp(filepath.Join(j.b.root, "tmp"), "add-")
	if err != nil {
		return match{}, nil, err
	}
	cleanup := func() { os.Remove(f.Name()) }
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return match{}, nil, err
	}
	mtime := time.Unix(0, 0)
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		mtime = lm
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		name = "download"
	}
	fi, err := os.Stat(f.Name())
	if err != nil {
		cleanup()
		return match{}, nil, err
	}
	return match{rel: name, url: rawURL, file: f.Name(), fi: fakeInfo{fi, mtime}}, cleanup, nil
}

// fakeInfo is a downloaded file's info with the server's mtime.
type fakeInfo struct {
	fs.FileInfo
	mtime time.Time
}

func (f fakeInfo) ModTime() time.Time { return f.mtime }

var _ = overlay.ChainIDs
