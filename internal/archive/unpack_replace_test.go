package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tug-project/tug/internal/testutil"
)

// TestUnpackReplacedEntriesAreResolvedAfresh unpacks streams where a
// directory that entries went into is replaced later in the stream: the
// entries after the replacement go where the new entry says, as if every
// path were resolved anew (the unpacker keeps directories open between
// entries).
func TestUnpackReplacedEntriesAreResolvedAfresh(t *testing.T) {
	testutil.RequiresRoot(t)
	tests := []struct {
		name    string
		entries []entry
		want    []string
	}{
		{"directory replaced by a symlink to another", []entry{
			{name: "a/", typ: tar.TypeDir, mode: 0o755},
			{name: "a/one", body: "1"},
			{name: "b/", typ: tar.TypeDir, mode: 0o755},
			{name: "a", typ: tar.TypeSymlink, link: "b"},
			{name: "a/two", body: "2"},
		}, []string{"a -> b", "b/", "b/two"}},
		{"directory replaced by a file, then a directory again", []entry{
			{name: "d/x/", typ: tar.TypeDir, mode: 0o755},
			{name: "d/x/f", body: "f"},
			{name: "d/x", body: "file"},
			{name: "d/x/", typ: tar.TypeDir, mode: 0o755},
			{name: "d/x/g", body: "g"},
		}, []string{"d/", "d/x/", "d/x/g"}},
		{"whiteout of a directory entries went into", []entry{
			{name: "w/sub/", typ: tar.TypeDir, mode: 0o755},
			{name: "w/sub/f", body: "f"},
			{name: "w/.wh.sub"},
			{name: "w/other", body: "o"},
		}, []string{"w/", "w/other", "w/sub (c)"}},
		{"symlink to a directory replaced by a directory", []entry{
			{name: "real/", typ: tar.TypeDir, mode: 0o755},
			{name: "l", typ: tar.TypeSymlink, link: "real"},
			{name: "l/f", body: "via link"},
			{name: "l/", typ: tar.TypeDir, mode: 0o755},
			{name: "l/g", body: "in dir"},
		}, []string{"l/", "l/g", "real/", "real/f"}},
		{"hard link replacing a file", []entry{
			{name: "t", body: "target"},
			{name: "h", body: "old"},
			{name: "h", typ: tar.TypeLink, link: "t"},
		}, []string{"h", "t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Unpack(context.Background(), bytes.NewReader(mkTar(t, tt.entries...)), dir, Options{}); err != nil {
				t.Fatalf("Unpack() = %v", err)
			}
			if diff := cmp.Diff(tt.want, listTree(t, dir)); diff != "" {
				t.Fatalf("tree mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnpackManyDirectories goes through more directories than the
// unpacker holds open, coming back to earlier ones.
func TestUnpackManyDirectories(t *testing.T) {
	testutil.RequiresRoot(t)
	var entries []entry
	for i := range maxOpenDirs + 10 {
		entries = append(entries, entry{name: fmt.Sprintf("d%03d/f", i), body: "x"})
	}
	for i := range maxOpenDirs + 10 {
		entries = append(entries, entry{name: fmt.Sprintf("d%03d/g", i), body: "y"})
	}
	dir := t.TempDir()
	if err := Unpack(context.Background(), bytes.NewReader(mkTar(t, entries...)), dir, Options{}); err != nil {
		t.Fatalf("Unpack() = %v", err)
	}
	for i := range maxOpenDirs + 10 {
		for f, want := range map[string]string{"f": "x", "g": "y"} {
			b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("d%03d", i), f))
			if err != nil || string(b) != want {
				t.Fatalf("d%03d/%s = %q, %v; want %q", i, f, b, err, want)
			}
		}
	}
}
