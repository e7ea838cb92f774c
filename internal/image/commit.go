package image

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"time"

	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// CommitOptions describe an image made from a container (`docker commit`).
type CommitOptions struct {
	Config  dockerspec.DockerOCIImageConfig // the new image's config
	Author  string
	Comment string
	// CreatedBy is the history entry's command (the container's).
	CreatedBy string
	Ref       string // "" leaves the image untagged
}

// Commit creates an image of parent (nil: from scratch) plus one layer,
// the tar stream diff (a container's changes), with o's config, and tags
// it o.Ref.
func (s *Store) Commit(ctx context.Context, parent *Image, diff io.Reader, o CommitOptions) (*Image, error) {
	var named reference.Named
	if o.Ref != "" {
		t, err := ParseTag(o.Ref)
		if err != nil {
			return nil, err
		}
		named = t
	}
	var base dockerspec.DockerOCIImage
	var layers []Layer
	var parentChain digest.Digest
	if parent != nil {
		base = parent.Config
		layers = append(layers, parent.Layers...)
		parentChain = parent.ChainID
		if parentChain != "" {
			release := s.lease(parentChain)
			defer release()
		}
	}
	w, err := s.cs.Writer(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	tee := io.TeeReader(diff, w)
	l, err := s.sn.Apply(ctx, parentChain, "", tee)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, err
	}
	blob, size, err := w.Commit(ctx, "", -1)
	if err != nil {
		return nil, err
	}
	release := s.lease(l.ChainID, blob)
	defer release()
	if !s.sn.Exists(l.ChainID) {
		return nil, errors.New("layer was removed while committing; retry")
	}
	layers = append(layers, Layer{Digest: blob, DiffID: l.DiffID, Size: size, MediaType: ocispec.MediaTypeImageLayer})

	now := time.Now().UTC()
	c := importConfig{DockerOCIImage: base, Comment: o.Comment}
	c.Created = &now
	c.Author = o.Author
	c.Config = o.Config
	if c.OS == "" {
		c.OS = "linux"
	}
	if c.Architecture == "" {
		c.Architecture = runtime.GOARCH
	}
	c.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: append(append([]digest.Digest{}, base.RootFS.DiffIDs...), l.DiffID)}
	c.History = append(append([]ocispec.History{}, base.History...), ocispec.History{
		Created: &now, CreatedBy: o.CreatedBy, Author: o.Author, Comment: o.Comment,
	})
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, raw, layers, named)
}
