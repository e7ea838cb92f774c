package cp

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Errors of the copy rules, with docker's texts.
var (
	ErrNotDirectory   = errors.New("not a directory")
	ErrDirNotExists   = errors.New("no such directory")
	ErrCannotCopyDir  = errors.New("cannot copy directory")
	ErrInvalidCopySrc = errors.New("invalid copy source")
)

// Info describes one end of a copy.
type Info struct {
	Path       string
	Exists     bool
	IsDir      bool
	RebaseName string // the name the source's entries take in the archive
}

// SplitPathDirEntry splits path into its directory and the entry in it,
// keeping a final "." ("a/." -> "a", ".").
func SplitPathDirEntry(path string) (dir, base string) {
	cleaned := filepath.Clean(path)
	if specifiesCurrentDir(path) {
		cleaned += string(os.PathSeparator) + "."
	}
	return filepath.Dir(cleaned), filepath.Base(cleaned)
}

func specifiesCurrentDir(path string) bool { return filepath.Base(path) == "." }

func hasTrailingPathSeparator(path string) bool {
	return len(path) > 0 && os.IsPathSeparator(path[len(path)-1])
}

// assertsDirectory reports whether path can only name a directory: it ends
// in a separator or in "/.".
func assertsDirectory(path string) bool {
	return hasTrailingPathSeparator(path) || specifiesCurrentDir(path)
}

// PreserveTrailingDotOrSeparator gives cleaned the trailing "/." or "/"
// that original had.
func PreserveTrailingDotOrSeparator(cleaned, original string) string {
	if specifiesCurrentDir(original) && !specifiesCurrentDir(cleaned) {
		if !hasTrailingPathSeparator(cleaned) {
			cleaned += string(os.PathSeparator)
		}
		cleaned += "."
	}
	if !hasTrailingPathSeparator(cleaned) && hasTrailingPathSeparator(original) {
		cleaned += string(os.PathSeparator)
	}
	return cleaned
}

// RebaseName returns resolved with path's trailing "/." or "/", and the
// name entries must take when symlink evaluation changed the last element.
func RebaseName(path, resolved string) (string, string) {
	var rebase string
	if specifiesCurrentDir(path) && !specifiesCurrentDir(resolved) {
		resolved += string(os.PathSeparator) + "."
	}
	if hasTrailingPathSeparator(path) && !hasTrailingPathSeparator(resolved) {
		resolved += string(os.PathSeparator)
	}
	if filepath.Base(path) != filepath.Base(resolved) {
		rebase = filepath.Base(path)
	}
	return resolved, rebase
}

// SourceInfo describes a local source: symlinks in its directory are
// resolved, the last element too with followLink.
func SourceInfo(path string, followLink bool) (Info, error) {
	var resolved, rebase string
	if followLink {
		r, err := filepath.EvalSymlinks(path)
		if err != nil {
			return Info{}, err
		}
		resolved, rebase = RebaseName(path, r)
	} else {
		dir, base := filepath.Split(path)
		if dir == "" {
			dir = "."
		}
		r, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return Info{}, err
		}
		resolved = r + string(filepath.Separator) + base
		if hasTrailingPathSeparator(path) && filepath.Base(path) != filepath.Base(resolved) {
			rebase = filepath.Base(path)
		}
	}
	st, err := os.Lstat(resolved)
	if err != nil {
		return Info{}, err
	}
	return Info{Path: resolved, Exists: true, IsDir: st.IsDir(), RebaseName: rebase}, nil
}

// DestinationInfo describes a local destination: symlinks are followed
// (the copy goes to their target); a missing destination needs an
// existing parent directory.
func DestinationInfo(path string) (Info, error) {
	orig := path
	st, err := os.Lstat(path)
	for n := 0; err == nil && st.Mode()&os.ModeSymlink != 0; n++ {
		if n > 10 {
			return Info{}, errors.New("too many symlinks in " + orig)
		}
		var target string
		if target, err = os.Readlink(path); err != nil {
			return Info{}, err
		}
		if !filepath.IsAbs(target) {
			dir, _ := SplitPathDirEntry(path)
			target = filepath.Join(dir, target)
		}
		path = target
		st, err = os.Lstat(path)
	}
	if err != nil {
		if !os.IsNotExist(err) {
			return Info{}, err
		}
		parent, _ := SplitPathDirEntry(path)
		pst, err := os.Stat(parent)
		if err != nil {
			return Info{}, err
		}
		if !pst.IsDir() {
			return Info{}, ErrNotDirectory
		}
		return Info{Path: path}, nil
	}
	return Info{Path: path, Exists: true, IsDir: st.IsDir()}, nil
}

// Plan is what PrepareArchiveCopy decides: extract into Dir, renaming the
// archive's entries from OldBase to NewBase when they differ.
type Plan struct {
	Dir              string
	OldBase, NewBase string // empty: no renaming
}

// PrepareArchiveCopy decides where an archive of src is extracted for the
// copy to land at dst, and how its entries are renamed (docker's rules).
func PrepareArchiveCopy(src, dst Info) (Plan, error) {
	dstDir, dstBase := SplitPathDirEntry(dst.Path)
	_, srcBase := SplitPathDirEntry(src.Path)
	if src.RebaseName != "" {
		srcBase = src.RebaseName
	}
	switch {
	case dst.Exists && dst.IsDir:
		// Extracted into the directory as it is.
		return Plan{Dir: dst.Path}, nil
	case dst.Exists && src.IsDir:
		return Plan{}, ErrCannotCopyDir
	case dst.Exists:
		// A file over a file: the entry takes the destination's name.
		return Plan{Dir: dstDir, OldBase: srcBase, NewBase: dstBase}, nil
	case src.IsDir:
		// A new directory named like the destination.
		return Plan{Dir: dstDir, OldBase: srcBase, NewBase: dstBase}, nil
	case assertsDirectory(dst.Path):
		return Plan{}, ErrDirNotExists
	default:
		return Plan{Dir: dstDir, OldBase: srcBase, NewBase: dstBase}, nil
	}
}

// RebaseEntry renames an archive entry name from oldBase to newBase (the
// first occurrence, as docker does).
func RebaseEntry(name, oldBase, newBase string) string {
	if oldBase == string(os.PathSeparator) {
		oldBase = ""
	}
	return strings.Replace(name, oldBase, newBase, 1)
}

// Rebase returns r with every entry renamed by RebaseEntry.
func Rebase(r io.Reader, oldBase, newBase string) io.ReadCloser {
	if oldBase == "" || oldBase == newBase {
		return io.NopCloser(r)
	}
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
			hdr.Format = tar.FormatPAX
			hdr.ModTime = hdr.ModTime.Truncate(time.Second)
			hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
			hdr.Name = RebaseEntry(hdr.Name, oldBase, newBase)
			if hdr.Typeflag == tar.TypeLink {
				hdr.Linkname = RebaseEntry(hdr.Linkname, oldBase, newBase)
			}
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
