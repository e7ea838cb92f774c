package archive

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
)

// ErrNotDir is returned by ResolveDir for a path that is not a directory.
var ErrNotDir = errors.New("extraction point is not a directory")

// PathStat describes a path inside a root as the archive API reports it.
type PathStat struct {
	Name       string
	Size       int64
	Mode       os.FileMode
	Mtime      time.Time
	LinkTarget string // a symlink's target fully evaluated inside the root
}

// resolvePath resolves the container path p inside root like Docker:
// every element but the last is resolved (symlinks stay inside root); a
// trailing "/" or "/." is kept. It returns the host path and the absolute
// container path.
func resolvePath(root, p string) (resolved, abs string, err error) {
	abs = preserveTrailing(filepath.Join("/", p), p)
	dir, base := filepath.Split(abs)
	rdir, err := securejoin.SecureJoin(root, dir)
	if err != nil {
		return "", "", err
	}
	return rdir + string(filepath.Separator) + base, abs, nil
}

// preserveTrailing gives cleaned the trailing "/." or "/" of original.
func preserveTrailing(cleaned, original string) string {
	if filepath.Base(original) == "." && filepath.Base(cleaned) != "." {
		if !strings.HasSuffix(cleaned, "/") {
			cleaned += "/"
		}
		cleaned += "."
	}
	if !strings.HasSuffix(cleaned, "/") && strings.HasSuffix(original, "/") {
		cleaned += "/"
	}
	return cleaned
}

// StatPath describes the container path p inside root. A missing path is
// an *fs.PathError wrapping fs.ErrNotExist whose Path is the absolute
// container path.
func StatPath(root, p string) (PathStat, error) {
	resolved, abs, err := resolvePath(root, p)
	if err != nil {
		return PathStat{}, err
	}
	return statResolved(root, resolved, abs)
}

func statResolved(root, resolved, abs string) (PathStat, error) {
	fi, err := os.Lstat(resolved)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return PathStat{}, &fs.PathError{Op: "stat", Path: abs, Err: fs.ErrNotExist}
		}
		return PathStat{}, err
	}
	st := PathStat{Name: filepath.Base(abs), Size: fi.Size(), Mode: fi.Mode(), Mtime: fi.ModTime()}
	if fi.Mode()&os.ModeSymlink != 0 {
		host, err := securejoin.SecureJoin(root, abs)
		if err != nil {
			return PathStat{}, err
		}
		rel, err := filepath.Rel(root, host)
		if err != nil {
			return PathStat{}, err
		}
		st.LinkTarget = filepath.Join("/", rel)
	}
	return st, nil
}

// TarPath writes a tar of the container path p inside root to the writer
// out returns for its stat, with Docker's entry names: "dir/..." for a
// directory, "./..." for "dir/.", the requested name for a symlinked
// directory.
func TarPath(ctx context.Context, root, p string, ids IDMap, out func(PathStat) io.Writer) error {
	resolved, abs, err := resolvePath(root, p)
	if err != nil {
		return err
	}
	st, err := statResolved(root, resolved, abs)
	if err != nil {
		return err
	}
	resolved = filepath.Clean(resolved)
	if filepath.Base(resolved) == "." {
		resolved += "/."
	}
	dir, base := resolved, "."
	if !st.Mode.IsDir() {
		dir, base = filepath.Split(resolved)
	}
	return Tar(ctx, out(st), dir, base, filepath.Base(abs), ids)
}

// ResolveDir resolves the container path p inside root, its last element
// too, to the host directory a tar is extracted into. A missing path is
// an *fs.PathError wrapping fs.ErrNotExist (Path: the container path);
// one that is not a directory is ErrNotDir.
func ResolveDir(root, p string) (string, error) {
	abs := preserveTrailing(filepath.Join("/", p), p)
	resolved, err := securejoin.SecureJoin(root, abs)
	if err != nil {
		return "", err
	}
	fi, err := os.Lstat(resolved)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", &fs.PathError{Op: "stat", Path: abs, Err: fs.ErrNotExist}
		}
		return "", err
	}
	if !fi.IsDir() {
		return "", ErrNotDir
	}
	return resolved, nil
}

// Chown rewrites the ownership of every entry of the tar stream r.
func Chown(r io.Reader, uid, gid int) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		tr := tar.NewReader(r)
		tw := tar.NewWriter(pw)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				pw.CloseWithError(tw.Close())
				return
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = uid, gid, "", ""
			if err := tw.WriteHeader(hdr); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.Copy(tw, tr); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return pr
}
