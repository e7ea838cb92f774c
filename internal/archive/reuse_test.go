package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/testutil"
)

// describeTree lists every entry under dir with its type, mode, owner,
// content or target, extended attributes and (unless implied, which a
// fresh unpacking stamps with the time it ran) modification time.
func describeTree(t *testing.T, dir string, implied map[string]bool) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		s := fmt.Sprintf("%s mode=%o uid=%d gid=%d", rel, st.Mode, st.Uid, st.Gid)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			b, _ := os.ReadFile(p)
			s += fmt.Sprintf(" sha=%x nlink=%d", sha256.Sum256(b), st.Nlink)
		case unix.S_IFLNK:
			l, _ := os.Readlink(p)
			s += " -> " + l
		}
		if !implied[rel] {
			s += fmt.Sprintf(" mtime=%d", st.Mtim.Sec)
		}
		buf := make([]byte, 4096)
		if n, err := unix.Llistxattr(p, buf); err == nil && n > 0 {
			names := strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00")
			sort.Strings(names)
			s += " xattrs=" + strings.Join(names, ",")
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUnpackReuseMakesWhatAFreshUnpackMakes unpacks a stream over the
// unpacking of an earlier one (Options.Reuse) and compares the result with
// the same stream unpacked into an empty directory: every entry's type,
// mode, owner, content, target, xattrs and times.
func TestUnpackReuseMakesWhatAFreshUnpackMakes(t *testing.T) {
	testutil.RequiresRoot(t)
	base := []entry{
		{name: "d/", typ: tar.TypeDir, mode: 0o755},
		{name: "d/same", body: "same"},
		{name: "d/grows", body: "a"},
		{name: "d/shrinks", body: "a long body"},
		{name: "d/edited", body: "abc"},
		{name: "d/gone", body: "x"},
		{name: "d/sub/", typ: tar.TypeDir, mode: 0o700},
		{name: "d/sub/f", body: "f"},
		{name: "link", typ: tar.TypeSymlink, link: "d/same"},
		{name: "l", typ: tar.TypeSymlink, link: "d"},
		{name: "x", body: "x", xattrs: map[string]string{"user.old": "1"}},
		{name: "t", body: "target"},
		{name: "h", typ: tar.TypeLink, link: "t"},
		{name: "owned", body: "o", uid: 7, gid: 8},
		{name: "fifo", typ: tar.TypeFifo, mode: 0o600},
	}
	tests := []struct {
		name    string
		second  []entry
		implied []string // directories the second stream only implies
		wantErr bool
	}{
		{"the same stream", base, nil, false},
		{"contents, modes, owners, targets and xattrs changed", []entry{
			{name: "d/", typ: tar.TypeDir, mode: 0o750, uid: 3},
			{name: "d/same", body: "same"},
			{name: "d/grows", body: "a lot more"},
			{name: "d/shrinks", body: "short"},
			{name: "d/edited", body: "abd", mode: 0o600},
			{name: "d/sub/", typ: tar.TypeDir, mode: 0o700},
			{name: "link", typ: tar.TypeSymlink, link: "d/grows"},
			{name: "x", body: "x", xattrs: map[string]string{"user.new": "2"}},
			{name: "t", body: "target"},
			{name: "h", body: "no longer a link"},
			{name: "owned", body: "o", uid: 9, gid: 8},
		}, nil, false},
		{"kinds swapped", []entry{
			{name: "d", body: "a file now"},
			{name: "link/", typ: tar.TypeDir, mode: 0o755},
			{name: "link/in", body: "in"},
			{name: "t", typ: tar.TypeSymlink, link: "h"},
			{name: "fifo", body: "a file, the fifo never opened"},
		}, nil, false},
		{"a path through what the first stream left", []entry{
			{name: "l/f", body: "under a directory, not the old symlink"},
			{name: "q/r/s", body: "s"},
		}, []string{"l", "q", "q/r"}, false},
		{"a hard link to what only the first stream wrote", []entry{
			{name: "h2", typ: tar.TypeLink, link: "t"},
		}, nil, true},
		{"an empty stream", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reused, fresh := t.TempDir(), t.TempDir()
			if err := Unpack(context.Background(), bytes.NewReader(mkTar(t, base...)), reused, Options{NoWhiteouts: true}); err != nil {
				t.Fatalf("first Unpack() = %v", err)
			}
			second := mkTar(t, tt.second...)
			errFresh := Unpack(context.Background(), bytes.NewReader(second), fresh, Options{NoWhiteouts: true})
			errReuse := Unpack(context.Background(), bytes.NewReader(second), reused, Options{NoWhiteouts: true, Reuse: true})
			if (errFresh != nil) != tt.wantErr || (errReuse != nil) != tt.wantErr {
				t.Fatalf("Unpack() fresh = %v, reused = %v; want an error: %v", errFresh, errReuse, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			implied := map[string]bool{}
			for _, p := range tt.implied {
				implied[p] = true
			}
			if diff := cmp.Diff(describeTree(t, fresh, implied), describeTree(t, reused, implied)); diff != "" {
				t.Fatalf("reused unpacking differs from a fresh one (-fresh +reused):\n%s", diff)
			}
		})
	}
}

// TestUnpackReuseOfAnUnchangedStreamCreatesNothing unpacks a stream over
// itself: every file keeps its inode, and none is written.
func TestUnpackReuseOfAnUnchangedStreamCreatesNothing(t *testing.T) {
	testutil.RequiresRoot(t)
	data := mkTar(t,
		entry{name: "d/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "d/a", body: "a"},
		entry{name: "d/b", body: "bb"},
		entry{name: "s", typ: tar.TypeSymlink, link: "d/a"},
	)
	dir := t.TempDir()
	opts := Options{NoWhiteouts: true, Reuse: true}
	if err := Unpack(context.Background(), bytes.NewReader(data), dir, opts); err != nil {
		t.Fatalf("Unpack() = %v", err)
	}
	inodes := func() map[string][2]int64 {
		m := map[string][2]int64{}
		for _, p := range []string{"d", "d/a", "d/b", "s"} {
			var st unix.Stat_t
			if err := unix.Lstat(filepath.Join(dir, p), &st); err != nil {
				t.Fatal(err)
			}
			m[p] = [2]int64{int64(st.Ino), st.Ctim.Nano()}
		}
		return m
	}
	before := inodes()
	if err := Unpack(context.Background(), bytes.NewReader(data), dir, opts); err != nil {
		t.Fatalf("second Unpack() = %v", err)
	}
	after := inodes()
	for _, p := range []string{"d/a", "d/b"} {
		if before[p] != after[p] {
			t.Errorf("%s: inode and ctime %v, then %v: want it untouched", p, before[p], after[p])
		}
	}
	for _, p := range []string{"d", "s"} {
		if before[p][0] != after[p][0] {
			t.Errorf("%s: inode %d, then %d: want it kept", p, before[p][0], after[p][0])
		}
	}
}
