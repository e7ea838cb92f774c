package cp

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitPathDirEntry(t *testing.T) {
	tests := []struct{ path, dir, base string }{
		{"/a/b", "/a", "b"},
		{"/a/b/", "/a", "b"},
		{"/a/b/.", "/a/b", "."},
		{"a", ".", "a"},
		{"/", "/", "/"},
	}
	for _, tc := range tests {
		if dir, base := SplitPathDirEntry(tc.path); dir != tc.dir || base != tc.base {
			t.Errorf("SplitPathDirEntry(%q) = %q, %q; want %q, %q", tc.path, dir, base, tc.dir, tc.base)
		}
	}
}

func TestPreserveTrailingDotOrSeparator(t *testing.T) {
	tests := []struct{ cleaned, original, want string }{
		{"/a/b", "a/b/", "/a/b/"},
		{"/a/b", "a/b/.", "/a/b/."},
		{"/a/b", "a/b", "/a/b"},
		{"/", "/.", "/."},
	}
	for _, tc := range tests {
		if got := PreserveTrailingDotOrSeparator(tc.cleaned, tc.original); got != tc.want {
			t.Errorf("PreserveTrailingDotOrSeparator(%q, %q) = %q, want %q", tc.cleaned, tc.original, got, tc.want)
		}
	}
}

func TestRebaseName(t *testing.T) {
	tests := []struct{ path, resolved, wantPath, wantRebase string }{
		{"/link", "/etc", "/etc", "link"},
		{"/link/", "/etc", "/etc/", "link"},
		{"/link/.", "/etc", "/etc/.", ""},
		{"/etc", "/etc", "/etc", ""},
	}
	for _, tc := range tests {
		p, r := RebaseName(tc.path, tc.resolved)
		if p != tc.wantPath || r != tc.wantRebase {
			t.Errorf("RebaseName(%q, %q) = %q, %q; want %q, %q", tc.path, tc.resolved, p, r, tc.wantPath, tc.wantRebase)
		}
	}
}

// The copy rules of docker's PrepareArchiveCopy.
func TestPrepareArchiveCopy(t *testing.T) {
	file := Info{Path: "/src/f", Exists: true}
	dir := Info{Path: "/src/d", Exists: true, IsDir: true}
	dirContents := Info{Path: "/src/d/.", Exists: true, IsDir: true}
	tests := []struct {
		name     string
		src, dst Info
		want     Plan
		err      error
	}{
		{"file into dir", file, Info{Path: "/dst", Exists: true, IsDir: true}, Plan{Dir: "/dst"}, nil},
		{"file over file", file, Info{Path: "/dst/g", Exists: true}, Plan{Dir: "/dst", OldBase: "f", NewBase: "g"}, nil},
		{"file to new name", file, Info{Path: "/dst/g"}, Plan{Dir: "/dst", OldBase: "f", NewBase: "g"}, nil},
		{"file to new dir", file, Info{Path: "/dst/g/"}, Plan{}, ErrDirNotExists},
		{"dir into dir", dir, Info{Path: "/dst", Exists: true, IsDir: true}, Plan{Dir: "/dst"}, nil},
		{"dir to new name", dir, Info{Path: "/dst/e"}, Plan{Dir: "/dst", OldBase: "d", NewBase: "e"}, nil},
		{"dir over file", dir, Info{Path: "/dst/g", Exists: true}, Plan{}, ErrCannotCopyDir},
		{"dir contents into dir", dirContents, Info{Path: "/dst", Exists: true, IsDir: true}, Plan{Dir: "/dst"}, nil},
		{"dir contents to new name", dirContents, Info{Path: "/dst/e"}, Plan{Dir: "/dst", OldBase: ".", NewBase: "e"}, nil},
		{"rebased source", Info{Path: "/src/etc", IsDir: true, Exists: true, RebaseName: "link"}, Info{Path: "/dst/e"}, Plan{Dir: "/dst", OldBase: "link", NewBase: "e"}, nil},
	}
	for _, tc := range tests {
		got, err := PrepareArchiveCopy(tc.src, tc.dst)
		if err != tc.err || got != tc.want {
			t.Errorf("%s: PrepareArchiveCopy() = %+v, %v; want %+v, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestRebaseEntry(t *testing.T) {
	tests := []struct{ name, old, new, want string }{
		{"d/x", "d", "e", "e/x"},
		{"./x", ".", "e", "e/x"},
		{"./", ".", "e", "e/"},
		{"/x", "/", "e", "e/x"},
	}
	for _, tc := range tests {
		if got := RebaseEntry(tc.name, tc.old, tc.new); got != tc.want {
			t.Errorf("RebaseEntry(%q, %q, %q) = %q, want %q", tc.name, tc.old, tc.new, got, tc.want)
		}
	}
}

// Tar names entries like docker; Untar never leaves its directory.
func TestTarUntar(t *testing.T) {
	src := t.TempDir()
	_ = os.MkdirAll(filepath.Join(src, "d/sub"), 0o755)
	_ = os.WriteFile(filepath.Join(src, "d/sub/x"), []byte("x"), 0o644)
	names := func(r io.Reader) []string {
		var out []string
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if err != nil {
				return out
			}
			out = append(out, h.Name)
		}
	}
	if got := names(Tar(Info{Path: filepath.Join(src, "d")})); !cmp.Equal(got, []string{"d/", "d/sub/", "d/sub/x"}) {
		t.Errorf("Tar(d) entries = %v", got)
	}
	if got := names(Tar(Info{Path: filepath.Join(src, "d") + "/."})); !cmp.Equal(got, []string{"./", "./sub/", "./sub/x"}) {
		t.Errorf("Tar(d/.) entries = %v", got)
	}
	if got := names(Tar(Info{Path: filepath.Join(src, "d"), RebaseName: "e"})); !cmp.Equal(got, []string{"e/", "e/sub/", "e/sub/x"}) {
		t.Errorf("Tar(d rebased to e) entries = %v", got)
	}

	outside := t.TempDir()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []tar.Header{
		{Typeflag: tar.TypeSymlink, Name: "evil", Linkname: outside},
		{Typeflag: tar.TypeReg, Name: "evil/pwned", Size: 1, Mode: 0o644},
	} {
		_ = tw.WriteHeader(&h)
		if h.Size > 0 {
			_, _ = tw.Write([]byte("x"))
		}
	}
	_ = tw.Close()
	dst := t.TempDir()
	if err := Untar(&buf, dst); err == nil {
		t.Errorf("Untar() through a symlink out of the directory = nil, want an error")
	}
	if _, err := os.Lstat(filepath.Join(outside, "pwned")); err == nil {
		t.Errorf("Untar() wrote outside its directory")
	}
}
