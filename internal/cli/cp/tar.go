package cp

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// Tar returns a tar stream of the local source src: its entries are named
// relative to its directory ("dir/x" for a source "dir", "./x" for
// "dir/."), the source's own name replaced by src.RebaseName if set.
func Tar(src Info) io.ReadCloser {
	dir, base := SplitPathDirEntry(src.Path)
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := writeTree(tw, dir, base, src.RebaseName)
		if cerr := tw.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// writeTree writes dir/include (a file, or a directory and everything in
// it, symlinks not followed) to tw.
func writeTree(tw *tar.Writer, dir, include, rebase string) error {
	links := map[uint64]string{}
	return filepath.WalkDir(filepath.Join(dir, include), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if include == "." && rel != "." {
			rel = "./" + rel
		}
		if rebase != "" {
			repl := rebase
			if rebase == string(os.PathSeparator) {
				repl = ""
			}
			rel = strings.Replace(rel, include, repl, 1)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		return writeEntry(tw, p, filepath.ToSlash(rel), fi, links)
	})
}

func writeEntry(tw *tar.Writer, p, name string, fi fs.FileInfo, links map[uint64]string) error {
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Format = tar.FormatPAX
	hdr.Name = name
	if fi.IsDir() && !strings.HasSuffix(hdr.Name, "/") {
		hdr.Name += "/"
	}
	hdr.Uname, hdr.Gname = "", ""
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() && st.Nlink > 1 {
		if first, ok := links[st.Ino]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
		} else {
			links[st.Ino] = hdr.Name
		}
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}

// Untar extracts the tar stream r into the local directory dir, never
// writing outside it (entries with "..", absolute names or paths through
// symlinks that leave dir fail). Ownership is the caller's; an existing
// directory is never replaced by a non-directory or the reverse.
func Untar(r io.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	type dirTime struct {
		name string
		hdr  *tar.Header
	}
	var dirs []dirTime
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if name == "" {
			name = "."
		}
		if err := extract(root, name, hdr, tr); err != nil {
			return fmt.Errorf("extracting %s: %w", hdr.Name, err)
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirTime{name, hdr})
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = root.Chtimes(dirs[i].name, dirs[i].hdr.AccessTime, dirs[i].hdr.ModTime)
	}
	return nil
}

func extract(root *os.Root, name string, hdr *tar.Header, r io.Reader) error {
	mode := fs.FileMode(hdr.Mode) & fs.ModePerm
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if fi, err := root.Lstat(name); err == nil {
		isDir := hdr.Typeflag == tar.TypeDir
		switch {
		case fi.IsDir() && isDir:
			return root.Chmod(name, mode|fs.FileMode(hdr.Mode)&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
		case fi.IsDir() && !isDir:
			return fmt.Errorf("cannot overwrite directory %q with non-directory", name)
		case !fi.IsDir() && isDir:
			return fmt.Errorf("cannot overwrite non-directory %q with directory", name)
		}
		if err := root.Remove(name); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return root.Mkdir(name, mode)
	case tar.TypeReg, tar.TypeRegA:
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := root.Chmod(name, mode); err != nil {
			return err
		}
	case tar.TypeSymlink:
		return root.Symlink(hdr.Linkname, name)
	case tar.TypeLink:
		old := strings.TrimPrefix(path.Clean("/"+hdr.Linkname), "/")
		return root.Link(old, name)
	default:
		return nil // devices, fifos: not created by a client copy
	}
	return root.Chtimes(name, hdr.AccessTime, hdr.ModTime)
}
