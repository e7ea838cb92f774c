package archive

import (
	"archive/tar"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Tar writes dir/include (a file, or a directory and everything in it;
// symlinks are archived, not followed) to w as a tar stream, for `cp`.
// Entries are named relative to dir ("./x" when include is "."), with the
// first occurrence of include replaced by rebase when rebase is set ("/"
// rebases to the empty name), like Docker's TarResourceRebase. Ownership
// (translated with ids, nil: as on disk), modes, times and hard links are
// kept.
func Tar(ctx context.Context, w io.Writer, dir, include, rebase string, ids IDMap) error {
	tw := tar.NewWriter(w)
	links := map[uint64]string{}
	err := filepath.WalkDir(filepath.Join(dir, include), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
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
			if rebase == "/" {
				repl = ""
			}
			rel = strings.Replace(rel, include, repl, 1)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		return tarEntry(tw, p, filepath.ToSlash(rel), fi, links, ids)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func tarEntry(tw *tar.Writer, p, name string, fi fs.FileInfo, links map[uint64]string, ids IDMap) error {
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
	hdr.Uname, hdr.Gname = "", "" // host names mean nothing in the container
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() && st.Nlink > 1 {
		if first, ok := links[st.Ino]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
		} else {
			links[st.Ino] = hdr.Name
		}
	}
	if err := toContainer(ids, hdr); err != nil {
		return err
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
	_, err = io.CopyN(tw, f, hdr.Size)
	return err
}
