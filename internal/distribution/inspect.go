package distribution

import (
	"context"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Inspect answers GET /distribution/{name}/json as Docker does: the
// descriptor of the manifest named resolves to in its registry (a tag
// defaults to latest) and the platforms it holds: those of a manifest
// list's entries, or the one of an image manifest's config.
func (s *Service) Inspect(ctx context.Context, named reference.Named, a *registry.AuthConfig) (registry.DistributionInspect, error) {
	named = reference.TagNameOnly(named)
	repo, err := s.repository(reference.Domain(named), reference.Path(named))
	if err != nil {
		return registry.DistributionInspect{}, err
	}
	auth := Authenticator(a)
	anonymous := auth == authn.Anonymous
	tr, err := s.client(ctx, repo, auth, repo.Scope(transport.PullScope))
	if err != nil {
		return registry.DistributionInspect{}, pullError(err, named, anonymous)
	}
	var ref name.Reference
	if c, ok := named.(reference.Canonical); ok {
		ref = repo.Digest(c.Digest().String())
	} else {
		ref = repo.Tag(named.(reference.Tagged).Tag())
	}
	desc, err := remote.Get(ref, remote.WithTransport(tr), remote.WithContext(ctx))
	if err != nil {
		return registry.DistributionInspect{}, pullError(err, named, anonymous)
	}
	out := registry.DistributionInspect{
		Descriptor: ocispec.Descriptor{
			MediaType: string(desc.MediaType),
			Digest:    digest.Digest(desc.Digest.String()),
			Size:      desc.Size,
		},
		Platforms: []ocispec.Platform{},
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return registry.DistributionInspect{}, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return registry.DistributionInspect{}, err
		}
		for _, m := range im.Manifests {
			if m.Platform != nil {
				out.Platforms = append(out.Platforms, ociPlatform(*m.Platform))
			}
		}
		return out, nil
	}
	img, err := desc.Image()
	if err != nil {
		return registry.DistributionInspect{}, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return registry.DistributionInspect{}, pullError(err, named, anonymous)
	}
	if p := cfg.Platform(); p != nil {
		out.Platforms = append(out.Platforms, ociPlatform(*p))
	}
	return out, nil
}

func ociPlatform(p v1.Platform) ocispec.Platform {
	return ocispec.Platform{
		Architecture: p.Architecture,
		OS:           p.OS,
		OSVersion:    p.OSVersion,
		OSFeatures:   p.OSFeatures,
		Variant:      p.Variant,
	}
}
