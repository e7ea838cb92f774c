package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

// keyVersion changes when the meaning of a key changes, so that records
// written by an older builder are never reused.
const keyVersion = "tug-build-cache-v1"

// Key is the cache key of one build step: parent is the image the step
// runs on ("" for scratch), instruction the instruction after variable
// expansion (as recorded in the history, e.g. "|1 V=2 /bin/sh -c make"),
// buildArgs the "k=v" build args the step sees (any order), and sources
// the digest of the files a COPY/ADD copies ("" for other steps).
func Key(parent digest.Digest, instruction string, buildArgs []string, sources digest.Digest) digest.Digest {
	args := slices.Clone(buildArgs)
	slices.Sort(args)
	h := sha256.New()
	// Length-prefixed fields: no two different inputs hash the same text.
	field := func(s string) { fmt.Fprintf(h, "%d:%s\n", len(s), s) }
	field(keyVersion)
	field(parent.String())
	field(instruction)
	field(fmt.Sprint(len(args)))
	for _, a := range args {
		field(a)
	}
	field(sources.String())
	return digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil)))
}

// File is what the cache knows about one copied file: its path relative to
// the copy's destination, its metadata and (for regular files) the digest
// of its content. Modification times are left out, as Docker does: touching
// a file does not invalidate the cache.
type File struct {
	Path    string
	Mode    fs.FileMode
	UID     int
	GID     int
	Size    int64
	Link    string        // symlink target
	Content digest.Digest // regular files
}

// SourcesDigest is the digest of the files a COPY/ADD step copies, in any
// order.
func SourcesDigest(files []File) digest.Digest {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	h := sha256.New()
	for _, f := range sorted {
		fmt.Fprintf(h, "%d:%s %o %d %d %d %d:%s %s\n", len(f.Path), f.Path, uint32(f.Mode), f.UID, f.GID, f.Size, len(f.Link), f.Link, f.Content)
	}
	return digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil)))
}

// ContentDigest digests r.
func ContentDigest(r io.Reader) (digest.Digest, error) {
	return digest.SHA256.FromReader(r)
}
