package distribution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"sort"
	"time"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
	"github.com/tug-project/tug/internal/snapshot/overlay"
	"github.com/tug-project/tug/internal/trace"
)

// PullOptions say what to pull and how.
type PullOptions struct {
	Ref      reference.Named // normalized (Docker Hub rules); with AllTags a repository
	AllTags  bool
	Auth     *registry.AuthConfig // nil: anonymous
	Platform string               // "os/arch[/variant]"; "" for the daemon's
	Progress io.Writer            // Docker's JSON progress messages
}

// Pull pulls an image (every tag of a repository with AllTags), writing
// Docker's progress messages, and returns the image (the last one for
// AllTags).
func (s *Service) Pull(ctx context.Context, opts PullOptions) (*image.Image, error) {
	named := opts.Ref
	plat, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, err
	}
	p := newProgress(opts.Progress)
	if !opts.AllTags {
		named = reference.TagNameOnly(named)
		img, updated, err := s.pullOne(ctx, named, opts.Auth, plat, p)
		if err != nil {
			return nil, err
		}
		s.finalStatus(p, reference.FamiliarString(named), updated)
		return img, nil
	}
	if _, ok := named.(reference.NamedTagged); ok {
		return nil, errdefs.InvalidParameter("tag can't be used with --all-tags/-a")
	}
	if _, ok := named.(reference.Canonical); ok {
		return nil, errdefs.InvalidParameter("tag can't be used with --all-tags/-a")
	}
	tags, err := s.listTags(ctx, named, opts.Auth)
	if err != nil {
		return nil, err
	}
	var last *image.Image
	updated := false
	for _, t := range tags {
		tagged, err := reference.WithTag(named, t)
		if err != nil {
			continue
		}
		img, u, err := s.pullOne(ctx, tagged, opts.Auth, plat, p)
		if err != nil {
			return nil, err
		}
		last, updated = img, updated || u
	}
	s.finalStatus(p, reference.FamiliarName(named), updated)
	return last, nil
}

func (s *Service) finalStatus(p *progress, name string, updated bool) {
	if updated {
		p.status("", "Status: Downloaded newer image for "+name)
	} else {
		p.status("", "Status: Image is up to date for "+name)
	}
}

func (s *Service) listTags(ctx context.Context, named reference.Named, a *registry.AuthConfig) ([]string, error) {
	repo, err := s.repository(reference.Domain(named), reference.Path(named))
	if err != nil {
		return nil, err
	}
	auth := Authenticator(a)
	tr, err := s.client(ctx, repo, auth, repo.Scope(transport.PullScope))
	if err != nil {
		return nil, pullError(err, named, auth == authn.Anonymous)
	}
	tags, err := remote.List(repo, remote.WithTransport(tr), remote.WithContext(ctx))
	if err != nil {
		return nil, pullError(err, named, auth == authn.Anonymous)
	}
	sort.Strings(tags)
	return tags, nil
}

func parsePlatform(s string) (v1.Platform, error) {
	if s == "" {
		return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, nil
	}
	p, err := v1.ParsePlatform(s)
	if err != nil {
		return v1.Platform{}, errdefs.InvalidParameter("%s", err.Error())
	}
	if p.OS == "" {
		p.OS = "linux"
	}
	return *p, nil
}

// pullOne pulls one tagged or digested reference: from the mirrors of its
// registry first, then from the origin.
func (s *Service) pullOne(ctx context.Context, named reference.Named, a *registry.AuthConfig, plat v1.Platform, p *progress) (*image.Image, bool, error) {
	domain, path := reference.Domain(named), reference.Path(named)
	for _, host := range s.mirrorHosts(domain) {
		repo, err := s.repository(host, path)
		if err != nil {
			continue
		}
		img, updated, err := s.pullFrom(ctx, repo, named, authn.Anonymous, plat, p)
		if err == nil {
			return img, updated, nil
		}
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		slog.InfoContext(ctx, "pull from mirror failed, trying the next source", "mirror", host, "ref", named.String(), "err", err)
	}
	repo, err := s.repository(domain, path)
	if err != nil {
		return nil, false, err
	}
	return s.pullFrom(ctx, repo, named, Authenticator(a), plat, p)
}

// layerJob is one layer of a pull.
type layerJob struct {
	desc   v1.Descriptor
	blob   digest.Digest
	diffID digest.Digest
	chain  digest.Digest
	id     string  // short ID in progress messages
	f      *flight // its download; nil when the blob is here
	skip   bool    // "Already exists"
}

func (s *Service) pullFrom(ctx context.Context, repo name.Repository, named reference.Named, auth authn.Authenticator, plat v1.Platform, p *progress) (*image.Image, bool, error) {
	anonymous := auth == authn.Anonymous
	tr, err := s.client(ctx, repo, auth, repo.Scope(transport.PullScope))
	if err != nil {
		return nil, false, pullError(err, named, anonymous)
	}
	var ref name.Reference
	tagOrDigest := ""
	if c, ok := named.(reference.Canonical); ok {
		ref = repo.Digest(c.Digest().String())
		tagOrDigest = c.Digest().String()
	} else if t, ok := named.(reference.NamedTagged); ok {
		ref = repo.Tag(t.Tag())
		tagOrDigest = t.Tag()
	} else {
		return nil, false, errdefs.InvalidParameter("%s: no tag or digest", named)
	}
	ropts := []remote.Option{remote.WithTransport(tr), remote.WithContext(ctx), remote.WithPlatform(plat)}
	desc, err := remote.Get(ref, ropts...)
	if err != nil {
		return nil, false, pullError(err, named, anonymous)
	}
	manifestDigest := digest.Digest(desc.Digest.String())
	var img v1.Image
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, false, pullError(err, named, anonymous)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, false, pullError(err, named, anonymous)
		}
		child, ok := selectPlatform(im.Manifests, plat)
		if !ok {
			return nil, false, errdefs.NotFound("no matching manifest for %s in the manifest list entries", plat.String())
		}
		if img, err = idx.Image(child.Digest); err != nil {
			return nil, false, pullError(err, named, anonymous)
		}
	case desc.MediaType.IsSchema1():
		return nil, false, errdefs.InvalidParameter("[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of %s to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/", reference.FamiliarString(named))
	default:
		if img, err = desc.Image(); err != nil {
			return nil, false, pullError(err, named, anonymous)
		}
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, false, pullError(err, named, anonymous)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, false, pullError(err, named, anonymous)
	}
	var cfg struct {
		RootFS struct {
			DiffIDs []digest.Digest `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, false, fmt.Errorf("invalid image config: %w", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, false, fmt.Errorf("image config has %d diff IDs for %d layers", len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	var prevID digest.Digest
	if _, isTagged := named.(reference.NamedTagged); isTagged {
		if prev, err := s.images.Get(ctx, named.String()); err == nil {
			prevID = prev.ID
		}
	}

	p.msg(jsonstream.Message{ID: tagOrDigest, Status: "Pulling from " + reference.Path(named)})
	chains := overlay.ChainIDs(cfg.RootFS.DiffIDs)
	jobs := make([]*layerJob, len(m.Layers))
	var keys []string
	for i, l := range m.Layers {
		j := &layerJob{desc: l, blob: digest.Digest(l.Digest.String()), diffID: cfg.RootFS.DiffIDs[i], chain: chains[i]}
		if err := j.blob.Validate(); err != nil {
			return nil, false, fmt.Errorf("invalid layer digest %q: %w", l.Digest, err)
		}
		j.id = shortID(j.blob)
		jobs[i] = j
		keys = append(keys, j.blob.String(), j.chain.String())
	}
	release := s.hold(keys)
	defer release()

	// Downloads this pull leads end with it (waiters in other pulls then retry).
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var led []*flight
	client := &http.Client{Transport: tr}
	sem := s.downloads // shared by every pull (max-concurrent-downloads)
	var flights []*flight
	defer func() {
		for _, f := range flights {
			s.leave(f)
		}
	}()
	var created []string // blobs and chains this pull made, for cleanup on failure
	for _, j := range jobs {
		haveBlob, haveChain := s.cs.Exists(ctx, j.blob), s.sn.Exists(j.chain)
		if haveBlob && haveChain {
			j.skip = true
			p.status(j.id, "Already exists")
			continue
		}
		p.status(j.id, "Pulling fs layer")
		if haveBlob {
			continue
		}
		j := j
		f, leader := s.join(j.blob)
		flights = append(flights, f)
		j.f = f
		if leader {
			led = append(led, f)
			created = append(created, j.blob.String())
			go func() {
				defer s.finish(f)
				select {
				case sem <- struct{}{}:
				case <-lctx.Done():
					f.err = lctx.Err()
					return
				}
				defer func() { <-sem }()
				if s.cs.Exists(lctx, j.blob) {
					return // another pull's download finished between our check and join
				}
				f.u, f.err = s.download(lctx, client, repo, j, !haveChain, p)
			}()
		} else {
			p.status(j.id, "Waiting")
		}
	}

	fail := func(err error) (*image.Image, bool, error) {
		cancel()
		for _, f := range led {
			<-f.done
		}
		s.cleanup(context.WithoutCancel(ctx), created)
		return nil, false, err
	}
	var parent digest.Digest
	for _, j := range jobs {
		if j.f != nil {
			select {
			case <-j.f.done:
			case <-ctx.Done():
				return fail(ctx.Err())
			}
			if j.f.err != nil {
				if errors.Is(j.f.err, context.Canceled) && ctx.Err() == nil {
					return fail(fmt.Errorf("download of layer %s was cancelled by another pull; retry", j.blob))
				}
				return fail(pullError(j.f.err, named, anonymous))
			}
		}
		if !j.skip {
			if !s.sn.Exists(j.chain) {
				p.msg(jsonstream.Message{ID: j.id, Status: "Extracting", Progress: &jsonstream.Progress{Current: j.desc.Size, Total: j.desc.Size}})
				if err := s.register(ctx, parent, j); err != nil {
					return fail(fmt.Errorf("failed to register layer: %w", err))
				}
				created = append(created, j.chain.String())
			}
			p.status(j.id, "Pull complete")
		}
		parent = j.chain
	}

	layers := make([]image.Layer, len(jobs))
	for i, j := range jobs {
		layers[i] = image.Layer{Digest: j.blob, DiffID: j.diffID, Size: j.desc.Size, MediaType: string(j.desc.MediaType)}
	}
	tag := ""
	if _, ok := named.(reference.NamedTagged); ok {
		tag = named.String()
	}
	out, err := s.images.Create(ctx, raw, layers, tag)
	if err != nil {
		return fail(err)
	}
	canonical := reference.TrimNamed(named).String() + "@" + manifestDigest.String()
	if err := s.images.AddRepoDigest(ctx, out.ID, canonical); err != nil {
		return nil, false, err
	}
	if out, err = s.images.Get(ctx, out.ID.String()); err != nil {
		return nil, false, err
	}
	p.status("", "Digest: "+manifestDigest.String())
	return out, prevID != out.ID, nil
}

// register makes the layer snapshot of j on parent: from its unpacked
// download, or by unpacking its blob.
func (s *Service) register(ctx context.Context, parent digest.Digest, j *layerJob) error {
	if j.f != nil && j.f.u != nil {
		defer trace.Span("pull: snapshot commit")()
		_, err := s.sn.Commit(ctx, parent, j.f.u, j.diffID)
		if err == nil || !errors.Is(err, errdefs.ErrNotFound) {
			return err
		}
	}
	f, err := s.cs.Open(ctx, j.blob)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = s.sn.Apply(ctx, parent, j.diffID, f)
	return err
}

// selectPlatform picks the manifest for plat from an index: OS and
// architecture must match; a wanted variant must match, otherwise an
// entry without variant is preferred.
func selectPlatform(ms []v1.Descriptor, plat v1.Platform) (v1.Descriptor, bool) {
	var found *v1.Descriptor
	for i := range ms {
		m := &ms[i]
		if m.Platform == nil || m.Platform.OS != plat.OS || m.Platform.Architecture != plat.Architecture {
			continue
		}
		if plat.Variant != "" {
			if m.Platform.Variant == plat.Variant {
				return *m, true
			}
			continue
		}
		if m.Platform.Variant == "" || (plat.Architecture == "amd64" && m.Platform.Variant == "v1") {
			return *m, true
		}
		if found == nil {
			found = m
		}
	}
	if found != nil {
		return *found, true
	}
	return v1.Descriptor{}, false
}

// download streams a layer blob into the content store, unpacking it on
// the way when unpack is set, and verifies its digest and size. Nothing
// is visible unless all of it checks out.
func (s *Service) download(ctx context.Context, client *http.Client, repo name.Repository, j *layerJob, unpack bool, p *progress) (*overlay.Unpacked, error) {
	u := url.URL{Scheme: repo.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/blobs/" + j.blob.String()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return nil, err
	}
	if resp.ContentLength > 0 && resp.ContentLength != j.desc.Size {
		return nil, fmt.Errorf("layer %s: registry sent %d bytes, the manifest says %d", j.blob, resp.ContentLength, j.desc.Size)
	}
	w, err := s.cs.Writer(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	start := time.Now()
	net, blob := &timedReader{r: resp.Body}, &timedWriter{w: w}
	body := io.TeeReader(&counter{r: net, p: p, id: j.id, action: "Downloading", total: j.desc.Size}, blob)
	var un *overlay.Unpacked
	var unpackErr error
	if unpack {
		un, unpackErr = s.sn.Unpack(ctx, body)
	}
	discard := func() {
		if un != nil {
			un.Discard()
		}
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		discard()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("failed to download layer %s: %w", j.blob, err)
	}
	p.status(j.id, "Verifying Checksum")
	if w.Digest() != j.blob || w.Size() != j.desc.Size {
		discard()
		return nil, fmt.Errorf("filesystem layer verification failed for digest %s: %w", j.blob, errdefs.ErrInvalidParameter)
	}
	if unpackErr != nil {
		return nil, unpackErr
	}
	committing := time.Now()
	if _, _, err := w.Commit(ctx, j.blob, j.desc.Size); err != nil {
		discard()
		return nil, err
	}
	p.status(j.id, "Download complete")
	if trace.Enabled() {
		traceLayer(start, committing, time.Now(), net.took, blob.took, un)
	}
	return un, nil
}

// cleanup removes the blobs and layer snapshots a failed pull made that
// no image and no other pull in progress uses.
func (s *Service) cleanup(ctx context.Context, created []string) {
	if len(created) == 0 {
		return
	}
	used := map[string]bool{}
	imgs, err := s.images.List(ctx)
	if err != nil {
		return
	}
	for _, img := range imgs {
		for _, l := range img.Layers {
			used[l.Digest.String()] = true
		}
		for _, c := range overlay.ChainIDs(img.Config.RootFS.DiffIDs) {
			used[c.String()] = true
		}
	}
	s.mu.Lock()
	for k, n := range s.active {
		if n > 1 {
			used[k] = true
		}
	}
	s.mu.Unlock()
	for i := len(created) - 1; i >= 0; i-- {
		k := created[i]
		if used[k] {
			continue
		}
		d := digest.Digest(k)
		if s.sn.Exists(d) {
			if err := s.sn.RemoveLayer(ctx, d); err != nil {
				slog.WarnContext(ctx, "pull cleanup: removing layer", "chain", d, "err", err)
			}
			continue
		}
		if err := s.cs.Delete(ctx, d); err != nil {
			slog.WarnContext(ctx, "pull cleanup: removing blob", "digest", d, "err", err)
		}
	}
}

// hold marks blobs and chains as needed by a pull in progress.
func (s *Service) hold(keys []string) func() {
	s.mu.Lock()
	for _, k := range keys {
		s.active[k]++
	}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		for _, k := range keys {
			if s.active[k]--; s.active[k] <= 0 {
				delete(s.active, k)
			}
		}
		s.mu.Unlock()
	}
}

// flight is one layer download shared by the pulls that need the blob.
type flight struct {
	done  chan struct{}
	err   error
	u     *overlay.Unpacked
	users int
}

// join returns the download of blob in progress, or a new one the caller
// must run (leader) and finish.
func (s *Service) join(blob digest.Digest) (f *flight, leader bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.flights[blob.String()]; ok {
		f.users++
		return f, false
	}
	f = &flight{done: make(chan struct{}), users: 1}
	s.flights[blob.String()] = f
	return f, true
}

func (s *Service) finish(f *flight) {
	s.mu.Lock()
	for k, v := range s.flights {
		if v == f {
			delete(s.flights, k)
		}
	}
	s.mu.Unlock()
	close(f.done)
}

// leave drops a pull's interest in f; the last one out discards an
// unpacked layer nobody committed.
func (s *Service) leave(f *flight) {
	s.mu.Lock()
	f.users--
	last := f.users == 0
	s.mu.Unlock()
	if last {
		go func() {
			<-f.done
			if f.u != nil {
				f.u.Discard()
			}
		}()
	}
}
