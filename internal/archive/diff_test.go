package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/testutil"
)

// tarList lists a tar's entries as "name type[ -> link]".
func tarList(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		s := fmt.Sprintf("%s %c", h.Name, h.Typeflag)
		if h.Linkname != "" {
			s += " -> " + h.Linkname
		}
		out = append(out, s)
	}
}

func TestDiff(t *testing.T) {
	testutil.RequiresRoot(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string
		empty bool
	}{
		{name: "empty", setup: func(t *testing.T, dir string) {}, empty: true},
		{
			name: "files and dirs",
			setup: func(t *testing.T, dir string) {
				must(t, os.MkdirAll(filepath.Join(dir, "etc/app"), 0o755))
				must(t, os.WriteFile(filepath.Join(dir, "etc/app/conf"), []byte("x"), 0o644))
				must(t, os.Symlink("conf", filepath.Join(dir, "etc/app/link")))
				must(t, os.Link(filepath.Join(dir, "etc/app/conf"), filepath.Join(dir, "etc/hard")))
			},
			want: []string{"etc/ 5", "etc/app/ 5", "etc/app/conf 0", "etc/app/link 2 -> conf", "etc/hard 1 -> etc/app/conf"},
		},
		{
			name: "whiteout",
			setup: func(t *testing.T, dir string) {
				must(t, os.Mkdir(filepath.Join(dir, "bin"), 0o755))
				must(t, unix.Mknod(filepath.Join(dir, "bin/gone"), unix.S_IFCHR, 0))
			},
			want: []string{"bin/ 5", "bin/.wh.gone 0"},
		},
		{
			name: "opaque dir",
			setup: func(t *testing.T, dir string) {
				must(t, os.Mkdir(filepath.Join(dir, "var"), 0o755))
				must(t, unix.Setxattr(filepath.Join(dir, "var"), OverlayOpaqueXattr, []byte("y"), 0))
				must(t, os.WriteFile(filepath.Join(dir, "var/new"), nil, 0o600))
			},
			want: []string{"var/ 5", "var/.wh..wh..opq 0", "var/new 0"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			var buf bytes.Buffer
			nonEmpty, err := Diff(context.Background(), dir, &buf, nil)
			if err != nil {
				t.Fatalf("Diff() = %v", err)
			}
			if nonEmpty == tc.empty {
				t.Fatalf("Diff() non-empty = %v, want %v", nonEmpty, !tc.empty)
			}
			if diff := cmp.Diff(tc.want, tarList(t, buf.Bytes())); diff != "" {
				t.Fatalf("Diff() entries (-want +got):\n%s", diff)
			}
			// The layer applies back: whiteouts become overlay whiteouts.
			out := t.TempDir()
			if err := Unpack(context.Background(), bytes.NewReader(buf.Bytes()), out, Options{}); err != nil {
				t.Fatalf("Unpack(Diff()) = %v", err)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
