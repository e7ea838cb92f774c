package overlay

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Snapshots a --rm container gets (PrepareEphemeral) mount like any
// other; at start, those whose container is gone are removed, and nothing
// else is: not an owned one, not a durable one without an owner.
func TestEphemeralSnapshotsWithoutOwnerAreRemoved(t *testing.T) {
	ctx := context.Background()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"owned", "lost"} {
		if _, err := s.PrepareEphemeral(ctx, key, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Prepare(ctx, "durable", ""); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"owned", "durable"} {
		if _, err := s.Mounts(ctx, key); err != nil {
			t.Errorf("Mounts(%s) = %v", key, err)
		}
	}

	removed, err := s.RemoveEphemeral(ctx, func(key string) bool { return key == "owned" })
	if err != nil || !slices.Equal(removed, []string{"lost"}) {
		t.Fatalf("RemoveEphemeral() = %v, %v; want [lost]", removed, err)
	}
	keys, err := s.Containers(ctx)
	if err != nil || !slices.Equal(keys, []string{"durable", "owned"}) {
		t.Errorf("snapshots left: %v, %v; want [durable owned]", keys, err)
	}
	if _, err := os.Stat(filepath.Join(s.root, "containers", "lost")); !os.IsNotExist(err) {
		t.Errorf("the lost snapshot's dir: %v, want it gone", err)
	}
}
