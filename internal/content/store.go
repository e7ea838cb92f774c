package content

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/errdefs"
)

// Store is a content-addressed blob store rooted at a directory.
type Store struct {
	root string
}

// NewStore opens (creating if needed) the store at root and clears leftovers of
// interrupted writes.
func NewStore(root string) (*Store, error) {
	for _, d := range []string{"blobs/sha256", "ingest"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, err
		}
	}
	s := &Store{root: root}
	// Nothing survives in ingest across a restart: writers live in one process.
	entries, err := os.ReadDir(filepath.Join(root, "ingest"))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(root, "ingest", e.Name()))
	}
	return s, nil
}

// Root returns the store's directory.
func (s *Store) Root() string { return s.root }

func (s *Store) blobPath(dgst digest.Digest) (string, error) {
	if err := dgst.Validate(); err != nil {
		return "", errdefs.InvalidParameter("invalid digest %q: %v", dgst, err)
	}
	if dgst.Algorithm() != digest.SHA256 {
		return "", errdefs.InvalidParameter("unsupported digest algorithm %s", dgst.Algorithm())
	}
	return filepath.Join(s.root, "blobs", "sha256", dgst.Encoded()), nil
}

// Path returns the file holding the blob (which may not exist).
func (s *Store) Path(dgst digest.Digest) (string, error) { return s.blobPath(dgst) }

func notFound(dgst digest.Digest) error {
	return fmt.Errorf("content %s: %w", dgst, errdefs.ErrNotFound)
}

// Exists reports whether the blob is in the store.
func (s *Store) Exists(ctx context.Context, dgst digest.Digest) bool {
	p, err := s.blobPath(dgst)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// Size returns the size of the blob.
func (s *Store) Size(ctx context.Context, dgst digest.Digest) (int64, error) {
	p, err := s.blobPath(dgst)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, notFound(dgst)
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// Open opens the blob for reading.
func (s *Store) Open(ctx context.Context, dgst digest.Digest) (*os.File, error) {
	p, err := s.blobPath(dgst)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(dgst)
	}
	return f, err
}

// Get reads a whole (small) blob, such as a config or manifest, verifying its digest.
func (s *Store) Get(ctx context.Context, dgst digest.Digest) ([]byte, error) {
	f, err := s.Open(ctx, dgst)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	if got := digest.FromBytes(b); got != dgst {
		return nil, fmt.Errorf("content %s is corrupt (digest %s)", dgst, got)
	}
	return b, nil
}

// Delete removes the blob; a missing blob is not an error.
func (s *Store) Delete(ctx context.Context, dgst digest.Digest) error {
	p, err := s.blobPath(dgst)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Walk calls fn for every blob in the store.
func (s *Store) Walk(ctx context.Context, fn func(dgst digest.Digest, size int64) error) error {
	dir := filepath.Join(s.root, "blobs", "sha256")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		dgst := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if dgst.Validate() != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if err := fn(dgst, info.Size()); err != nil {
			return err
		}
	}
	return nil
}

// Put writes r to the store. expected may be "" (the digest is computed)
// and size may be -1 (unknown). It returns the digest and size written.
func (s *Store) Put(ctx context.Context, r io.Reader, expected digest.Digest, size int64) (digest.Digest, int64, error) {
	if expected != "" && s.Exists(ctx, expected) {
		if size < 0 {
			if sz, err := s.Size(ctx, expected); err == nil {
				size = sz
			}
		}
		return expected, size, nil
	}
	w, err := s.Writer(ctx)
	if err != nil {
		return "", 0, err
	}
	defer w.Close()
	if _, err := copyCtx(ctx, w, r); err != nil {
		return "", 0, err
	}
	return w.Commit(ctx, expected, size)
}

// PutBytes stores b and returns its digest.
func (s *Store) PutBytes(ctx context.Context, b []byte) (digest.Digest, error) {
	dgst := digest.FromBytes(b)
	if s.Exists(ctx, dgst) {
		return dgst, nil
	}
	w, err := s.Writer(ctx)
	if err != nil {
		return "", err
	}
	defer w.Close()
	if _, err := w.Write(b); err != nil {
		return "", err
	}
	_, _, err = w.Commit(ctx, dgst, int64(len(b)))
	return dgst, err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func copyCtx(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	return io.CopyBuffer(w, ctxReader{ctx, r}, buf)
}

// Writer is an in-progress blob write. Write to it, then Commit; Close
// discards anything not committed.
type Writer struct {
	s        *Store
	f        *os.File
	path     string
	digester digest.Digester
	n        int64
	done     bool
}

// Writer starts a new blob write in the ingest directory.
func (s *Store) Writer(ctx context.Context) (*Writer, error) {
	var rnd [16]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	p := filepath.Join(s.root, "ingest", hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	return &Writer{s: s, f: f, path: p, digester: digest.SHA256.Digester()}, nil
}

// Write implements io.Writer.
func (w *Writer) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.digester.Hash().Write(p[:n])
	w.n += int64(n)
	return n, err
}

// Digest returns the digest of what was written so far.
func (w *Writer) Digest() digest.Digest { return w.digester.Digest() }

// Size returns the number of bytes written so far.
func (w *Writer) Size() int64 { return w.n }

// Commit verifies the written bytes against expected (if not "") and size
// (if >= 0), syncs them and publishes the blob.
func (w *Writer) Commit(ctx context.Context, expected digest.Digest, size int64) (digest.Digest, int64, error) {
	if w.done {
		return "", 0, errors.New("content writer already closed")
	}
	got := w.digester.Digest()
	if size >= 0 && w.n != size {
		return "", 0, fmt.Errorf("unexpected size %d for %s, want %d: %w", w.n, got, size, errdefs.ErrInvalidParameter)
	}
	if expected != "" && got != expected {
		return "", 0, fmt.Errorf("unexpected digest %s, want %s: %w", got, expected, errdefs.ErrInvalidParameter)
	}
	if err := w.f.Sync(); err != nil {
		return "", 0, err
	}
	if err := w.f.Close(); err != nil {
		return "", 0, err
	}
	w.done = true
	target, err := w.s.blobPath(got)
	if err != nil {
		os.Remove(w.path)
		return "", 0, err
	}
	if err := os.Rename(w.path, target); err != nil {
		os.Remove(w.path)
		return "", 0, err
	}
	if d, err := os.Open(filepath.Dir(target)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return got, w.n, nil
}

// Close discards an uncommitted write.
func (w *Writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	return os.Remove(w.path)
}
