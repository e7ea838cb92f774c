package overlay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/errdefs"
)

// Unpacked is a layer unpacked into a private directory and not yet part
// of any chain. An overlay lower dir holds only its layer's own changes
// (whiteouts are devices, opaque dirs xattrs), so a layer can be unpacked
// without its parent: a pull unpacks all its layers at once and then
// registers them in chain order with Commit.
type Unpacked struct {
	DiffID digest.Digest
	Size   int64
	Stats  archive.Stats // where the unpacking's time went
	Sync   time.Duration // the syncfs after it

	s    *Snapshotter
	mu   sync.Mutex
	dir  string // under <root>/tmp; "" once committed or discarded
	used bool
}

// Unpack unpacks the layer stream r (compressed or not) into a private
// directory. Nothing is visible until Commit; Discard (or a restart)
// removes it.
func (s *Snapshotter) Unpack(ctx context.Context, r io.Reader) (*Unpacked, error) {
	tmp, err := s.tempDir()
	if err != nil {
		return nil, err
	}
	fsDir := filepath.Join(tmp, "fs")
	if err := os.Mkdir(fsDir, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	res, err := archive.Apply(ctx, r, fsDir, archive.Options{})
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	start := time.Now()
	if err := syncFS(tmp); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &Unpacked{DiffID: res.DiffID, Size: res.Size, Stats: res.Stats, Sync: time.Since(start), s: s, dir: tmp}, nil
}

// Commit registers u as the layer on top of the chain parent ("" for a
// base layer), checking its diffID against want (if not ""), and returns
// the layer. If that chain exists already, u is left as it is (another
// chain may still take it). An Unpacked serves one chain: a second Commit
// for a chain that does not exist returns an ErrNotFound error, and the
// caller unpacks again (Apply).
func (s *Snapshotter) Commit(ctx context.Context, parent digest.Digest, u *Unpacked, want digest.Digest) (Layer, error) {
	if want != "" && u.DiffID != want {
		return Layer{}, fmt.Errorf("layer diffID mismatch: got %s, want %s: %w", u.DiffID, want, errdefs.ErrInvalidParameter)
	}
	chainID := ChainID(parent, u.DiffID)
	if l, err := s.Layer(chainID); err == nil {
		return l, nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.used || u.dir == "" {
		return Layer{}, fmt.Errorf("unpacked layer %s was used already: %w", u.DiffID, errdefs.ErrNotFound)
	}
	l := Layer{ChainID: chainID, DiffID: u.DiffID, Parent: parent, Size: u.Size}
	b, err := json.Marshal(l)
	if err != nil {
		return Layer{}, err
	}
	if err := writeSynced(filepath.Join(u.dir, "layer.json"), b); err != nil {
		return Layer{}, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if parent != "" && !s.Exists(parent) {
		return Layer{}, fmt.Errorf("parent layer %s: %w", parent, errdefs.ErrNotFound)
	}
	if existing, err := s.Layer(chainID); err == nil {
		return existing, nil
	}
	dst := s.layerDir(chainID)
	if err := os.RemoveAll(dst); err != nil { // a torn dir without layer.json
		return Layer{}, err
	}
	if err := os.Rename(u.dir, dst); err != nil {
		return Layer{}, err
	}
	u.dir, u.used = "", true
	return l, syncDir(filepath.Dir(dst))
}

// Discard removes u unless it was committed.
func (u *Unpacked) Discard() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.dir != "" {
		os.RemoveAll(u.dir)
		u.dir = ""
	}
}

func writeSynced(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
