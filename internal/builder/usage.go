package builder

import (
	"context"

	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/builder/cache"
	"github.com/tug-project/tug/internal/snapshot/overlay"
)

// CacheUsage is the disk use of one step of the cache: the layer the step
// made (each layer counted once), and whether an image holds it too.
type CacheUsage struct {
	Key    digest.Digest
	Size   int64
	Shared bool
}

// Usage lists the cache's steps with the size of their layers.
func (b *Builder) Usage(ctx context.Context) ([]CacheUsage, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	imgs, err := b.images.List(ctx)
	if err != nil {
		return nil, err
	}
	usedChains := map[digest.Digest]bool{}
	for _, img := range imgs {
		for _, c := range overlay.ChainIDs(img.Config.RootFS.DiffIDs) {
			usedChains[c] = true
		}
	}
	seen := map[digest.Digest]bool{}
	var out []CacheUsage
	err = b.cache.Walk(ctx, func(key digest.Digest, r cache.Record) error {
		u := CacheUsage{Key: key}
		var diffIDs []digest.Digest
		for _, l := range r.Layers {
			diffIDs = append(diffIDs, l.DiffID)
		}
		if chains := overlay.ChainIDs(diffIDs); len(chains) > 0 {
			top := chains[len(chains)-1]
			u.Shared = usedChains[top]
			if !seen[top] {
				seen[top] = true
				if l, err := b.snapshots.Layer(top); err == nil {
					u.Size = l.Size
				}
			}
		}
		out = append(out, u)
		return nil
	})
	return out, err
}
