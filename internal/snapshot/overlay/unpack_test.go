package overlay

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/testutil"
)

// TestUnpackCommit unpacks two layers out of order and registers them in
// chain order; a wrong diffID, a second chain and Discard behave.
func TestUnpackCommit(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	root := t.TempDir()
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	top := mkTar(t, tent{name: "b", body: "2"})
	base := mkTar(t, tent{name: "a", body: "1"})
	ut, err := s.Unpack(ctx, bytes.NewReader(top))
	if err != nil {
		t.Fatalf("Unpack(top) = %v", err)
	}
	ub, err := s.Unpack(ctx, bytes.NewReader(base))
	if err != nil {
		t.Fatalf("Unpack(base) = %v", err)
	}
	if layers, _ := s.Layers(ctx); len(layers) != 0 {
		t.Fatalf("Layers() before Commit = %v, want none", layers)
	}
	if _, err := s.Commit(ctx, ub.DiffID, ut, digest.FromString("wrong")); !errors.Is(err, errdefs.ErrInvalidParameter) {
		t.Fatalf("Commit() with a wrong diffID = %v, want InvalidParameter", err)
	}
	if _, err := s.Commit(ctx, ub.DiffID, ut, ""); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Commit() on a missing parent = %v, want NotFound", err)
	}
	lb, err := s.Commit(ctx, "", ub, digest.FromBytes(base))
	if err != nil {
		t.Fatalf("Commit(base) = %v", err)
	}
	lt, err := s.Commit(ctx, lb.ChainID, ut, digest.FromBytes(top))
	if err != nil {
		t.Fatalf("Commit(top) = %v", err)
	}
	if lt.Parent != lb.ChainID || lt.ChainID != ChainID(lb.ChainID, digest.FromBytes(top)) {
		t.Errorf("Commit(top) = %+v", lt)
	}
	if b, err := os.ReadFile(filepath.Join(s.LayerFS(lt.ChainID), "b")); err != nil || string(b) != "2" {
		t.Errorf("top layer file b = %q, %v", b, err)
	}
	// Committing the same chain again is a no-op; another chain needs a new unpack.
	if _, err := s.Commit(ctx, lb.ChainID, ut, ""); err != nil {
		t.Errorf("Commit() of an existing chain = %v", err)
	}
	if _, err := s.Commit(ctx, "", ut, ""); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Commit() of a used Unpacked on another chain = %v, want NotFound", err)
	}
	u, err := s.Unpack(ctx, bytes.NewReader(base))
	if err != nil {
		t.Fatal(err)
	}
	u.Discard()
	if es, _ := os.ReadDir(filepath.Join(root, "tmp")); len(es) != 0 {
		t.Errorf("tmp after Discard holds %d entries", len(es))
	}
}
