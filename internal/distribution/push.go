package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
)

// PushOptions say what to push.
type PushOptions struct {
	Ref      reference.Named // normalized; without a tag, every local tag of the repository
	Auth     *registry.AuthConfig
	Progress io.Writer
}

// Push uploads an image's blobs the registry lacks (mounting them from
// other repositories of the registry where it can), then its manifest,
// writing Docker's push progress.
func (s *Service) Push(ctx context.Context, opts PushOptions) error {
	named := opts.Ref
	if _, ok := named.(reference.Canonical); ok {
		return errdefs.InvalidParameter("cannot push a digest reference")
	}
	p := newProgress(opts.Progress)
	var tags []reference.NamedTagged
	if t, ok := named.(reference.NamedTagged); ok {
		tags = append(tags, t)
	} else {
		imgs, err := s.images.List(ctx)
		if err != nil {
			return err
		}
		for _, img := range imgs {
			for _, rt := range img.RepoTags {
				r, err := reference.ParseNormalizedNamed(rt)
				if err != nil || r.Name() != named.Name() {
					continue
				}
				if t, ok := r.(reference.NamedTagged); ok {
					tags = append(tags, t)
				}
			}
		}
		sort.Slice(tags, func(i, j int) bool { return tags[i].Tag() < tags[j].Tag() })
		if len(tags) == 0 {
			return errdefs.NotFound("An image does not exist locally with the tag: %s", reference.FamiliarName(named))
		}
	}
	p.status("", "The push refers to repository ["+named.Name()+"]")
	for _, t := range tags {
		if err := s.pushTag(ctx, t, opts.Auth, p); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) pushTag(ctx context.Context, named reference.NamedTagged, a *registry.AuthConfig, p *progress) error {
	img, err := s.images.Get(ctx, named.String())
	if err != nil {
		return errdefs.NotFound("An image does not exist locally with the tag: %s", reference.FamiliarString(named))
	}
	repo, err := s.repository(reference.Domain(named), reference.Path(named))
	if err != nil {
		return err
	}
	sources, err := s.mountSources(ctx, named)
	if err != nil {
		return err
	}
	scopes := []string{repo.Scope(transport.PushScope)}
	seen := map[string]bool{}
	for _, l := range img.Layers {
		for _, src := range sources[l.Digest] {
			if !seen[src.Name()] {
				seen[src.Name()] = true
				scopes = append(scopes, src.Scope(transport.PullScope))
			}
		}
	}
	tr, err := s.client(ctx, repo, Authenticator(a), scopes...)
	if err != nil {
		return authError(err)
	}
	client := &http.Client{Transport: tr}
	ropts := []remote.Option{remote.WithTransport(tr), remote.WithContext(ctx)}

	oci := false
	for _, l := range img.Layers {
		if !strings.Contains(l.MediaType, "docker") {
			oci = true
		}
	}
	for _, l := range img.Layers {
		p.status(shortID(l.DiffID), "Preparing")
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := len(img.Layers) - 1; i >= 0; i-- {
		l := img.Layers[i]
		g.Go(func() error {
			// A slot shared by every push (max-concurrent-uploads).
			select {
			case s.uploads <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			defer func() { <-s.uploads }()
			return s.pushLayer(gctx, client, repo, sources[l.Digest], l, oci, ropts, p)
		})
	}
	if err := g.Wait(); err != nil {
		return authError(err)
	}

	cfgType, mType := types.DockerConfigJSON, types.DockerManifestSchema2
	if oci {
		cfgType, mType = types.OCIConfigJSON, types.OCIManifestSchema1
	}
	cfgDesc := v1.Descriptor{MediaType: cfgType, Size: int64(len(img.RawConfig)), Digest: hash(img.ID)}
	if exists, err := blobExists(ctx, client, repo, img.ID); err != nil {
		return authError(err)
	} else if !exists {
		if err := remote.WriteLayer(repo, &blobLayer{s: s, dgst: img.ID, size: int64(len(img.RawConfig)), mt: cfgType, raw: img.RawConfig}, ropts...); err != nil {
			return authError(err)
		}
	}
	man := v1.Manifest{SchemaVersion: 2, MediaType: mType, Config: cfgDesc}
	for _, l := range img.Layers {
		man.Layers = append(man.Layers, v1.Descriptor{MediaType: layerMediaType(l, oci), Size: l.Size, Digest: hash(l.Digest)})
	}
	raw, err := json.Marshal(man)
	if err != nil {
		return err
	}
	if err := remote.Put(repo.Tag(named.Tag()), rawManifest{raw: raw, mt: mType}, ropts...); err != nil {
		return authError(err)
	}
	d := digest.FromBytes(raw)
	if err := s.images.AddRepoDigest(ctx, img.ID, named.Name()+"@"+d.String()); err != nil {
		return err
	}
	p.status("", fmt.Sprintf("%s: digest: %s size: %d", named.Tag(), d, len(raw)))
	p.aux(map[string]any{"Tag": named.Tag(), "Digest": d.String(), "Size": len(raw)})
	return nil
}

func (s *Service) pushLayer(ctx context.Context, client *http.Client, repo name.Repository, sources []name.Repository, l image.Layer, oci bool, ropts []remote.Option, p *progress) error {
	id := shortID(l.DiffID)
	exists, err := blobExists(ctx, client, repo, l.Digest)
	if err != nil {
		return err
	}
	if exists {
		p.status(id, "Layer already exists")
		return nil
	}
	for _, src := range sources {
		if ok, _ := mountBlob(ctx, client, repo, src, l.Digest); ok {
			// Docker names the source by its path: "Mounted from library/busybox".
			p.status(id, "Mounted from "+src.RepositoryStr())
			return nil
		}
	}
	layer := &blobLayer{s: s, dgst: l.Digest, diffID: l.DiffID, size: l.Size, mt: layerMediaType(l, oci), p: p, id: id}
	if err := remote.WriteLayer(repo, layer, append(ropts, remote.WithContext(ctx))...); err != nil {
		return err
	}
	p.status(id, "Pushed")
	return nil
}

// maxMountCandidates bounds the mounts tried per layer, as Docker does.
const maxMountCandidates = 3

// mountSources lists, per layer blob, other repositories of named's
// registry known to hold it: those of the local images that have the
// layer and were pulled from or pushed to that registry (their repo
// digests), so a push of an image built on a pushed one mounts the base.
func (s *Service) mountSources(ctx context.Context, named reference.Named) (map[digest.Digest][]name.Repository, error) {
	imgs, err := s.images.List(ctx)
	if err != nil {
		return nil, err
	}
	out := map[digest.Digest][]name.Repository{}
	for _, img := range imgs {
		var repos []name.Repository
		for _, rd := range img.RepoDigests {
			r, err := reference.ParseNormalizedNamed(rd)
			if err != nil || reference.Domain(r) != reference.Domain(named) || r.Name() == named.Name() {
				continue
			}
			if src, err := s.repository(reference.Domain(r), reference.Path(r)); err == nil {
				repos = append(repos, src)
			}
		}
		for _, l := range img.Layers {
			for _, src := range repos {
				if len(out[l.Digest]) < maxMountCandidates && !slices.ContainsFunc(out[l.Digest], func(r name.Repository) bool { return r.Name() == src.Name() }) {
					out[l.Digest] = append(out[l.Digest], src)
				}
			}
		}
	}
	return out, nil
}

func hash(d digest.Digest) v1.Hash {
	return v1.Hash{Algorithm: d.Algorithm().String(), Hex: d.Encoded()}
}

// layerMediaType is the media type a layer is pushed with, matching the
// manifest's family.
func layerMediaType(l image.Layer, oci bool) types.MediaType {
	mt := l.MediaType
	gz, zst := strings.HasSuffix(mt, "gzip"), strings.HasSuffix(mt, "zstd")
	switch {
	case oci && gz:
		return types.OCILayer
	case oci && zst:
		return types.OCILayerZStd
	case oci:
		return types.OCIUncompressedLayer
	case gz:
		return types.DockerLayer
	case zst:
		return types.MediaType("application/vnd.docker.image.rootfs.diff.tar.zstd")
	}
	return types.DockerUncompressedLayer
}

func blobURL(repo name.Repository, d digest.Digest) string {
	u := url.URL{Scheme: repo.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/blobs/" + d.String()}
	return u.String()
}

func blobExists(ctx context.Context, client *http.Client, repo name.Repository, d digest.Digest) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, blobURL(repo, d), nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, transport.CheckError(resp, http.StatusOK, http.StatusNotFound)
}

// mountBlob asks the registry to mount d from src into repo.
func mountBlob(ctx context.Context, client *http.Client, repo, src name.Repository, d digest.Digest) (bool, error) {
	u := url.URL{Scheme: repo.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/blobs/uploads/",
		RawQuery: url.Values{"mount": {d.String()}, "from": {src.RepositoryStr()}}.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode == http.StatusAccepted {
		// The mount failed and the registry opened an upload session
		// instead: cancel it, the layer is uploaded on its own.
		if loc, err := resp.Location(); err == nil {
			if del, err := http.NewRequestWithContext(ctx, http.MethodDelete, loc.String(), nil); err == nil {
				if r, err := client.Do(del); err == nil {
					r.Body.Close()
				}
			}
		}
	}
	return resp.StatusCode == http.StatusCreated, nil
}

// blobLayer is a blob of the content store (or raw bytes) as a
// go-containerregistry layer for upload.
type blobLayer struct {
	s      *Service
	dgst   digest.Digest
	diffID digest.Digest
	size   int64
	mt     types.MediaType
	raw    []byte
	p      *progress
	id     string
}

func (b *blobLayer) Digest() (v1.Hash, error) { return hash(b.dgst), nil }
func (b *blobLayer) DiffID() (v1.Hash, error) {
	if b.diffID == "" {
		return hash(b.dgst), nil
	}
	return hash(b.diffID), nil
}
func (b *blobLayer) Size() (int64, error)                { return b.size, nil }
func (b *blobLayer) MediaType() (types.MediaType, error) { return b.mt, nil }

func (b *blobLayer) Compressed() (io.ReadCloser, error) {
	if b.raw != nil {
		return io.NopCloser(strings.NewReader(string(b.raw))), nil
	}
	f, err := b.s.cs.Open(context.Background(), b.dgst)
	if err != nil {
		return nil, err
	}
	if b.p == nil {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{&counter{r: f, p: b.p, id: b.id, action: "Pushing", total: b.size}, f}, nil
}

func (b *blobLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := b.Compressed()
	if err != nil {
		return nil, err
	}
	dr, _, err := archive.DecompressStream(rc)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{dr, rc}, nil
}

// rawManifest is a manifest to PUT as it is.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }
