package builder

import (
	"archive/tar"
	"bufio"
	"context"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/trace"
)

// A tar context is unpacked into the builder's one reused context
// directory when no other build holds it: unpacked again over the last
// context, an unchanged file is not written, and an unchanged context
// creates and removes no file (creating files is what costs, on a file
// system that has just removed as many). What the stream lacks is removed
// after it, so the directory holds exactly the context, as a fresh one
// would. A build that finds it taken unpacks into a directory of its own.
const (
	reusedContextName = "ctx-reused"
	// maxReusedContext is the most content kept in the reused directory
	// between builds; a larger context is removed after its build.
	maxReusedContext = 64 << 20
)

// tarContext is a context tar unpacked for one build.
type tarContext struct {
	dir     string
	digests *tarDigests
	bytes   int64 // regular file content
}

// unpackTarContext unpacks the context tar r (plain or compressed) into
// dir; with reuse, over what dir holds (archive.Options.Reuse).
func unpackTarContext(ctx context.Context, r io.Reader, dir string, reuse bool) (*tarContext, error) {
	defer trace.Span("build: context unpack")()
	dr, _, err := archive.DecompressStream(bufio.NewReader(r))
	if err != nil {
		return nil, err
	}
	defer dr.Close()
	tc := &tarContext{dir: dir, digests: newTarDigests()}
	seen := func(name string, hdr *tar.Header, content digest.Digest) {
		if hdr.Typeflag == tar.TypeReg {
			tc.bytes += hdr.Size
		}
		tc.digests.add(name, hdr.Typeflag, content)
	}
	if err := archive.Unpack(ctx, dr, dir, archive.Options{NoWhiteouts: true, Reuse: reuse, Seen: seen}); err != nil {
		return nil, buildError("error reading build context: %v", err)
	}
	return tc, nil
}

// tarDigests are the content digests of a tar context's regular files,
// taken as they were unpacked: the directory is the builder's own and
// nothing else writes to it. A file they lack (a hard link, a path
// through a symlink) is read.
type tarDigests struct {
	files map[string]digest.Digest // by path relative to the context
	dirs  map[string]bool          // directories holding some of files
}

func newTarDigests() *tarDigests {
	return &tarDigests{files: map[string]digest.Digest{}, dirs: map[string]bool{}}
}

// add records the entry name (clean, absolute) of type typ.
func (t *tarDigests) add(name string, typ byte, content digest.Digest) {
	rel := strings.TrimPrefix(name, "/")
	if typ != tar.TypeDir && t.dirs[rel] {
		// It replaced a directory: what was under it is gone.
		for f := range t.files {
			if strings.HasPrefix(f, rel+"/") {
				delete(t.files, f)
			}
		}
		delete(t.dirs, rel)
	}
	if content == "" {
		delete(t.files, rel)
		return
	}
	t.files[rel] = content
	for d := path.Dir(rel); d != "." && !t.dirs[d]; d = path.Dir(d) {
		t.dirs[d] = true
	}
}

// Digest returns the digest of the regular file rel.
func (t *tarDigests) Digest(root *os.Root, rel string, fi fs.FileInfo) (digest.Digest, error) {
	if d, ok := t.files[rel]; ok {
		return d, nil
	}
	return rootDigest(root, rel)
}
