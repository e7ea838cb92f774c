package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/testutil"
)

type entry struct {
	name, link, body string
	typ              byte
	mode             int64
	uid, gid         int
	xattrs           map[string]string
}

func mkTar(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid,
			ModTime: time.Unix(1600000000, 0), Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		for k, v := range e.xattrs {
			if h.PAXRecords == nil {
				h.PAXRecords = map[string]string{}
			}
			h.PAXRecords["SCHILY.xattr."+k] = v
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// listTree returns every path under dir with a short type marker.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, _ := d.Info()
		switch {
		case d.IsDir():
			rel += "/"
		case info.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			rel += " -> " + l
		case info.Mode()&fs.ModeCharDevice != 0:
			rel += " (c)"
		}
		out = append(out, rel)
		return nil
	})
	return out
}

func hashFile(t *testing.T, p string) [32]byte {
	b, _ := os.ReadFile(p)
	return sha256.Sum256(b)
}

func TestUnpackHostile(t *testing.T) {
	testutil.RequiresRoot(t)
	passwdBefore := hashFile(t, "/etc/passwd")
	var stBefore unix.Stat_t
	unix.Stat("/etc/passwd", &stBefore)

	tests := []struct {
		name    string
		entries []entry
		want    []string // tree inside target
		wantErr bool
	}{
		{"dotdot", []entry{{name: "../../etc/x", body: "x"}}, []string{"etc/", "etc/x"}, false},
		{"absolute", []entry{{name: "/abs", body: "x"}}, []string{"abs"}, false},
		{"symlink to root then through it", []entry{
			{name: "evil", typ: tar.TypeSymlink, link: "/"},
			{name: "evil/etc/passwd", body: "pwned"},
		}, []string{"etc/", "etc/passwd", "evil -> /"}, false},
		{"relative symlink escaping", []entry{
			{name: "up", typ: tar.TypeSymlink, link: "../../../../.."},
			{name: "up/outside", body: "x"},
		}, []string{"outside", "up -> ../../../../.."}, false},
		{"symlink replaced by file is not followed", []entry{
			{name: "p", typ: tar.TypeSymlink, link: "/etc/passwd"},
			{name: "p", body: "x"},
		}, []string{"p"}, false},
		{"hardlink outside", []entry{{name: "h", typ: tar.TypeLink, link: "../../../etc/passwd"}}, nil, true},
		{"hardlink through symlink", []entry{
			{name: "s", typ: tar.TypeSymlink, link: "/etc"},
			{name: "h", typ: tar.TypeLink, link: "s/passwd"},
		}, nil, true},
		{"hardlink to absolute symlink is the symlink", []entry{
			{name: "s", typ: tar.TypeSymlink, link: "/etc/passwd"},
			{name: "h", typ: tar.TypeLink, link: "s"},
		}, []string{"h -> /etc/passwd", "s -> /etc/passwd"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sandbox := t.TempDir()
			target := filepath.Join(sandbox, "a", "b", "target")
			os.MkdirAll(target, 0o755)
			err := Unpack(context.Background(), bytes.NewReader(mkTar(t, tt.entries...)), target, Options{})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unpack() = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr {
				if diff := cmp.Diff(tt.want, listTree(t, target)); diff != "" {
					t.Fatalf("tree mismatch (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff([]string{"a/", "a/b/", "a/b/target/"}, listTree(t, sandbox)[:3]); diff != "" {
				t.Fatalf("sandbox mismatch:\n%s", diff)
			}
			for _, p := range listTree(t, sandbox) {
				if !strings.HasPrefix(p, "a/b/target") && p != "a/" && p != "a/b/" {
					t.Fatalf("wrote outside target: %s", p)
				}
			}
		})
	}
	var stAfter unix.Stat_t
	unix.Stat("/etc/passwd", &stAfter)
	if hashFile(t, "/etc/passwd") != passwdBefore || stAfter.Nlink != stBefore.Nlink {
		t.Fatal("/etc/passwd changed")
	}
	for _, p := range []string{"/abs", "/outside", "/etc/x"} {
		if _, err := os.Lstat(p); err == nil {
			t.Fatalf("%s exists on the host", p)
		}
	}
}

func TestWhiteouts(t *testing.T) {
	testutil.RequiresRoot(t)
	dir := t.TempDir()
	data := mkTar(t,
		entry{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "etc/.wh.passwd"},
		entry{name: "opaque/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "opaque/.wh..wh..opq"},
		entry{name: "opaque/new", body: "n"},
		entry{name: ".wh..wh.plnk"},
	)
	if err := Unpack(context.Background(), bytes.NewReader(data), dir, Options{}); err != nil {
		t.Fatalf("Unpack() = %v", err)
	}
	want := []string{"etc/", "etc/passwd (c)", "opaque/", "opaque/new"}
	if diff := cmp.Diff(want, listTree(t, dir)); diff != "" {
		t.Fatalf("tree mismatch (-want +got):\n%s", diff)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "etc/passwd"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Rdev != 0 || st.Uid != 0 || st.Gid != 0 {
		t.Fatalf("whiteout rdev=%d uid=%d gid=%d, want 0/0/0", st.Rdev, st.Uid, st.Gid)
	}
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(filepath.Join(dir, "opaque"), OverlayOpaqueXattr, buf)
	if err != nil || string(buf[:n]) != "y" {
		t.Fatalf("opaque xattr = %q, %v, want y", buf[:n], err)
	}
}

func TestUnpackMetadata(t *testing.T) {
	testutil.RequiresRoot(t)
	dir := t.TempDir()
	data := mkTar(t,
		entry{name: "d/", typ: tar.TypeDir, mode: 0o1777, uid: 7, gid: 8},
		entry{name: "d/suid", body: "s", mode: 0o4755, uid: 1000, gid: 1000, xattrs: map[string]string{"user.k": "v", "trusted.t": "w"}},
		entry{name: "d/hl", typ: tar.TypeLink, link: "d/suid"},
		entry{name: "dev/null", typ: tar.TypeChar, mode: 0o666},
		entry{name: "fifo", typ: tar.TypeFifo, mode: 0o600},
		entry{name: "ln", typ: tar.TypeSymlink, link: "d/suid", uid: 5, gid: 6},
	)
	if err := Unpack(context.Background(), bytes.NewReader(data), dir, Options{}); err != nil {
		t.Fatalf("Unpack() = %v", err)
	}
	check := func(p string, mode uint32, uid, gid uint32) unix.Stat_t {
		t.Helper()
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(dir, p), &st); err != nil {
			t.Fatal(err)
		}
		if st.Mode != mode || st.Uid != uid || st.Gid != gid {
			t.Fatalf("%s: mode %o uid %d gid %d, want %o %d %d", p, st.Mode, st.Uid, st.Gid, mode, uid, gid)
		}
		return st
	}
	check("d", unix.S_IFDIR|0o1777, 7, 8)
	st := check("d/suid", unix.S_IFREG|0o4755, 1000, 1000)
	if st.Nlink != 2 {
		t.Fatalf("nlink = %d, want 2", st.Nlink)
	}
	if st.Mtim.Sec != 1600000000 {
		t.Fatalf("mtime = %d", st.Mtim.Sec)
	}
	check("dev/null", unix.S_IFCHR|0o666, 0, 0)
	check("fifo", unix.S_IFIFO|0o600, 0, 0)
	check("ln", unix.S_IFLNK|0o777, 5, 6)
	var dst unix.Stat_t
	unix.Lstat(filepath.Join(dir, "d"), &dst)
	if dst.Mtim.Sec != 1600000000 {
		t.Fatalf("dir mtime = %d, want 1600000000", dst.Mtim.Sec)
	}
	for k, v := range map[string]string{"user.k": "v", "trusted.t": "w"} {
		buf := make([]byte, 16)
		n, err := unix.Lgetxattr(filepath.Join(dir, "d/suid"), k, buf)
		if err != nil || string(buf[:n]) != v {
			t.Fatalf("xattr %s = %q, %v, want %q", k, buf[:n], err, v)
		}
	}
}

func TestApplyDiffID(t *testing.T) {
	raw := mkTar(t, entry{name: "a", body: "hello"}, entry{name: "b/", typ: tar.TypeDir, mode: 0o755})
	want := digest.FromBytes(raw)
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(raw)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(raw)
	zw.Close()
	tests := []struct {
		name string
		in   []byte
		c    Compression
	}{
		{"plain", raw, Uncompressed},
		{"gzip", gz.Bytes(), Gzip},
		{"zstd", zs.Bytes(), Zstd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Apply(context.Background(), bytes.NewReader(tt.in), t.TempDir(), Options{NoChown: os.Geteuid() != 0})
			if err != nil {
				t.Fatalf("Apply() = %v", err)
			}
			if diff := cmp.Diff(Result{DiffID: want, Size: 5, Compression: tt.c}, res, cmpopts.IgnoreFields(Result{}, "Stats")); diff != "" {
				t.Fatalf("Apply() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnpackBusybox(t *testing.T) {
	testutil.RequiresRoot(t)
	dir := t.TempDir()
	if err := Unpack(context.Background(), bytes.NewReader(testutil.BusyboxTar(t)), dir, Options{}); err != nil {
		t.Fatalf("Unpack() = %v", err)
	}
	if l, err := os.Readlink(filepath.Join(dir, "bin/sh")); err != nil || l != "busybox" {
		t.Fatalf("bin/sh -> %q, %v", l, err)
	}
}
