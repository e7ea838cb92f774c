package cache

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/image"
)

// Record is what a step produced: the image config (stored in the content
// store under ID) and the image's layers.
type Record struct {
	ID     digest.Digest `json:"id"`
	Layers []image.Layer `json:"layers"`
}

// Store keeps records as one file per key under its root.
type Store struct {
	root string
}

// NewStore opens (creating if needed) the record store at root.
func NewStore(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	return &Store{root: root}, nil
}

func (s *Store) path(key digest.Digest) string {
	return filepath.Join(s.root, key.Encoded()+".json")
}

// Get returns the record of key.
func (s *Store) Get(ctx context.Context, key digest.Digest) (Record, bool) {
	if key.Validate() != nil {
		return Record{}, false
	}
	b, err := os.ReadFile(s.path(key))
	if err != nil {
		return Record{}, false
	}
	var r Record
	if json.Unmarshal(b, &r) != nil || r.ID == "" {
		return Record{}, false
	}
	return r, true
}

// Put records what the step key produced (atomically).
func (s *Store) Put(ctx context.Context, key digest.Digest, r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.root, ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), s.path(key))
}

// Delete forgets key.
func (s *Store) Delete(ctx context.Context, key digest.Digest) error {
	err := os.Remove(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Walk calls fn for every record.
func (s *Store) Walk(ctx context.Context, fn func(key digest.Digest, r Record) error) error {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, ok := cutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		key := digest.NewDigestFromEncoded(digest.SHA256, name)
		if r, ok := s.Get(ctx, key); ok {
			if err := fn(key, r); err != nil {
				return err
			}
		}
	}
	return nil
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
