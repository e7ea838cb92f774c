package archive

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Diff writes the overlayfs upper directory upper to w as a layer tar in
// Docker's format: entries in lexical order, overlay whiteouts (character
// devices 0/0) as ".wh.<name>" files and opaque directories
// (trusted.overlay.opaque=y) followed by a ".wh..wh..opq" entry; hard
// links within the layer as link entries. It reports whether the layer
// has any entry (an empty diff is an empty tar). Owners are translated
// with ids (nil: as on disk).
func Diff(ctx context.Context, upper string, w io.Writer, ids IDMap) (bool, error) {
	tw := tar.NewWriter(w)
	links := map[uint64]string{} // inode -> first name, for hard links
	empty := true
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == upper {
			return nil
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st, _ := fi.Sys().(*syscall.Stat_t)
		if fi.Mode()&fs.ModeCharDevice != 0 && st != nil && st.Rdev == 0 {
			// An overlay whiteout: the lower file was removed.
			empty = false
			dir, base := path.Split(rel)
			return tw.WriteHeader(&tar.Header{
				Name: dir + WhiteoutPrefix + base, Typeflag: tar.TypeReg, Mode: 0,
				ModTime: fi.ModTime().Truncate(time.Second), Format: tar.FormatPAX,
			})
		}
		hdr, err := diffHeader(p, rel, fi, st, links)
		if err != nil {
			return err
		}
		if err := toContainer(ids, hdr); err != nil {
			return err
		}
		empty = false
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
		if fi.IsDir() && isOpaque(p) {
			return tw.WriteHeader(&tar.Header{
				Name: rel + "/" + WhiteoutOpaqueDir, Typeflag: tar.TypeReg, Mode: 0,
				ModTime: fi.ModTime().Truncate(time.Second), Format: tar.FormatPAX,
			})
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return !empty, tw.Close()
}

// diffHeader is the tar header of one upper-dir entry.
func diffHeader(p, rel string, fi fs.FileInfo, st *syscall.Stat_t, links map[uint64]string) (*tar.Header, error) {
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		l, err := os.Readlink(p)
		if err != nil {
			return nil, err
		}
		link = l
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return nil, err
	}
	hdr.Name = rel
	if fi.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uname, hdr.Gname = "", ""
	hdr.ModTime = fi.ModTime().Truncate(time.Second)
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.Format = tar.FormatPAX
	if st != nil {
		hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
		if fi.Mode().IsRegular() && st.Nlink > 1 {
			if first, ok := links[st.Ino]; ok {
				hdr.Typeflag = tar.TypeLink
				hdr.Linkname = first
				hdr.Size = 0
			} else {
				links[st.Ino] = rel
			}
		}
	}
	if caps, err := lgetxattr(p, "security.capability"); err == nil && len(caps) > 0 {
		hdr.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": string(caps)}
	}
	return hdr, nil
}

func isOpaque(p string) bool {
	v, err := lgetxattr(p, OverlayOpaqueXattr)
	return err == nil && strings.TrimSpace(string(v)) == "y"
}

func lgetxattr(p, name string) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Lgetxattr(p, name, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}
