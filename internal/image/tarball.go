package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/errdefs"
)

// manifestItem is an entry of a Docker save archive's manifest.json.
type manifestItem struct {
	Config       string
	RepoTags     []string
	Layers       []string
	Parent       string                               `json:",omitempty"`
	LayerSources map[digest.Digest]ocispec.Descriptor `json:",omitempty"`
}

const (
	annotationImageName = "io.containerd.image.name"
	maxMetadataSize     = 32 << 20  // a file bigger than this is never metadata
	maxInMemory         = 256 << 20 // small archive members kept in memory, in all
)

type saveItem struct {
	img  *Image
	refs []reference.NamedTagged
}

// Save writes the images names name as a Docker save archive: blobs/sha256/*,
// manifest.json, repositories, and the OCI layout (oci-layout, index.json)
// that current Docker also writes. Layer blobs are streamed as stored.
func (s *Store) Save(ctx context.Context, names []string, w io.Writer) error {
	items, err := s.saveItems(ctx, names)
	if err != nil {
		return err
	}
	var release func()
	{
		var ds []digest.Digest
		for _, it := range items {
			ds = append(ds, it.img.ID)
			ds = append(ds, layerDigests(it.img.Layers)...)
		}
		release = s.lease(ds...)
	}
	defer release()

	type blob struct {
		data []byte        // in memory (configs, manifests), or
		dgst digest.Digest // from the content store
		size int64
	}
	blobs := map[digest.Digest]blob{}
	var (
		manifest []manifestItem
		index    []ocispec.Descriptor
		repos    = map[string]map[string]string{}
	)
	for _, it := range items {
		img := it.img
		blobs[img.ID] = blob{data: img.RawConfig}
		m := ocispec.Manifest{
			Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: ocispec.MediaTypeImageManifest,
			Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: img.ID, Size: int64(len(img.RawConfig))},
			Layers:    []ocispec.Descriptor{},
		}
		mi := manifestItem{Config: blobPath(img.ID), RepoTags: []string{}, Layers: []string{}}
		for _, l := range img.Layers {
			size, err := s.cs.Size(ctx, l.Digest)
			if err != nil {
				return fmt.Errorf("layer %s of %s: %w", l.Digest, ShortID(img.ID), err)
			}
			blobs[l.Digest] = blob{dgst: l.Digest, size: size}
			mt := l.MediaType
			if mt == "" {
				mt = ocispec.MediaTypeImageLayer
			}
			m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: mt, Digest: l.Digest, Size: size})
			mi.Layers = append(mi.Layers, blobPath(l.Digest))
		}
		mb, err := json.Marshal(m)
		if err != nil {
			return err
		}
		md := digest.FromBytes(mb)
		blobs[md] = blob{data: mb}
		desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: md, Size: int64(len(mb))}
		for _, ref := range it.refs {
			fam := reference.FamiliarName(ref)
			if repos[fam] == nil {
				repos[fam] = map[string]string{}
			}
			if len(img.Layers) > 0 {
				repos[fam][ref.Tag()] = img.ChainID.Encoded()
			}
			mi.RepoTags = append(mi.RepoTags, reference.FamiliarString(ref))
			d := desc
			d.Annotations = map[string]string{annotationImageName: ref.String(), ocispec.AnnotationRefName: ref.Tag()}
			index = append(index, d)
		}
		if len(it.refs) == 0 {
			index = append(index, desc)
		}
		manifest = append(manifest, mi)
	}

	tw := tar.NewWriter(w)
	epoch := time.Unix(0, 0)
	dir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX})
	}
	file := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	if err := dir("blobs/"); err != nil {
		return err
	}
	if err := dir("blobs/sha256/"); err != nil {
		return err
	}
	keys := make([]digest.Digest, 0, len(blobs))
	for d := range blobs {
		keys = append(keys, d)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, d := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := blobs[d]
		if b.data != nil {
			if err := file(blobPath(d), int64(len(b.data)), bytes.NewReader(b.data)); err != nil {
				return err
			}
			continue
		}
		f, err := s.cs.Open(ctx, d)
		if err != nil {
			return err
		}
		err = file(blobPath(d), b.size, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	idx, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: index})
	if err != nil {
		return err
	}
	mf, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	mf = append(mf, '\n')
	layout := []byte(`{"imageLayoutVersion": "` + ocispec.ImageLayoutVersion + `"}`)
	meta := []struct {
		name string
		data []byte
	}{{"index.json", idx}, {"manifest.json", mf}, {"oci-layout", layout}}
	if len(repos) > 0 {
		rb, err := json.Marshal(repos)
		if err != nil {
			return err
		}
		meta = append(meta, struct {
			name string
			data []byte
		}{"repositories", append(rb, '\n')})
	}
	for _, m := range meta {
		if err := file(m.name, int64(len(m.data)), bytes.NewReader(m.data)); err != nil {
			return err
		}
	}
	return tw.Close()
}

func blobPath(d digest.Digest) string {
	return path.Join("blobs", d.Algorithm().String(), d.Encoded())
}

// saveItems resolves the names given to `docker save` as moby's
// tarexporter does: a bare repository name means all its tags.
func (s *Store) saveItems(ctx context.Context, names []string) ([]*saveItem, error) {
	var items []*saveItem
	byID := map[digest.Digest]*saveItem{}
	add := func(img *Image, ref reference.Named) {
		it, ok := byID[img.ID]
		if !ok {
			it = &saveItem{img: img}
			byID[img.ID] = it
			items = append(items, it)
		}
		if ref == nil {
			return
		}
		if _, ok := ref.(reference.Canonical); ok {
			return
		}
		tagged, ok := reference.TagNameOnly(ref).(reference.NamedTagged)
		if !ok {
			return
		}
		for _, t := range it.refs {
			if t.String() == tagged.String() {
				return
			}
		}
		it.refs = append(it.refs, tagged)
	}
	for _, name := range names {
		ref, err := reference.ParseAnyReference(name)
		if err == nil {
			if named, ok := ref.(reference.Named); ok && reference.IsNameOnly(named) {
				s.mu.RLock()
				var tags []string
				for r := range s.refs {
					if n, err := reference.ParseNormalizedNamed(r); err == nil && n.Name() == named.Name() {
						if _, ok := n.(reference.NamedTagged); ok {
							tags = append(tags, r)
						}
					}
				}
				s.mu.RUnlock()
				sort.Strings(tags)
				if len(tags) > 0 {
					for _, t := range tags {
						img, err := s.Get(ctx, t)
						if err != nil {
							return nil, err
						}
						n, _ := reference.ParseNormalizedNamed(t)
						add(img, n)
					}
					continue
				}
			}
		}
		img, err := s.Get(ctx, name)
		if err != nil {
			return nil, err
		}
		var named reference.Named
		if err == nil && !isImageIDPrefix(img.ID, name) {
			if n, ok := ref.(reference.Named); ok {
				named = n
			}
		}
		add(img, named)
	}
	return items, nil
}

// LoadResult is one image loaded by Load.
type LoadResult struct {
	Ref string // familiar tag, "" if untagged
	ID  digest.Digest
}

// loadSession is the state of one Load: where each archive path's bytes went.
type loadSession struct {
	files   map[string][]byte        // small metadata files, by path
	blobs   map[string]digest.Digest // other regular files, by path, stored in the content store
	links   map[string]string        // symlinks and hard links: path -> target path
	written []digest.Digest          // blobs this load added to the content store
}

func cleanPath(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

func (l *loadSession) resolve(p string) string {
	p = cleanPath(p)
	for i := 0; i < 16; i++ {
		t, ok := l.links[p]
		if !ok {
			break
		}
		p = t
	}
	return p
}

func (l *loadSession) digestOf(p string) (digest.Digest, bool) {
	p = l.resolve(p)
	if d, ok := l.blobs[p]; ok {
		return d, true
	}
	if strings.HasPrefix(p, "blobs/sha256/") {
		if _, ok := l.files[p]; ok {
			d := digest.NewDigestFromEncoded(digest.SHA256, path.Base(p))
			return d, d.Validate() == nil
		}
	}
	return "", false
}

func (s *Store) readPath(ctx context.Context, l *loadSession, p string) ([]byte, error) {
	p = l.resolve(p)
	if b, ok := l.files[p]; ok {
		return b, nil
	}
	if d, ok := l.blobs[p]; ok {
		return s.cs.Get(ctx, d)
	}
	return nil, errdefs.InvalidParameter("invalid archive: %s not found", p)
}

// Load reads a Docker save archive (manifest.json) or an OCI image layout
// archive (index.json) and creates its images and tags.
func (s *Store) Load(ctx context.Context, r io.Reader) ([]LoadResult, error) {
	l := &loadSession{files: map[string][]byte{}, blobs: map[string]digest.Digest{}, links: map[string]string{}}
	defer func() { s.dropUnreferenced(ctx, l.written) }()

	dr, _, err := archive.DecompressStream(r)
	if err != nil {
		return nil, err
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	var (
		releases []func()
		inMemory int64
	)
	defer func() {
		for _, release := range releases {
			release()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errdefs.InvalidParameter("invalid archive: %v", err)
		}
		name := cleanPath(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			l.links[name] = cleanPath(path.Join(path.Dir(name), hdr.Linkname))
			continue
		case tar.TypeLink:
			l.links[name] = cleanPath(hdr.Linkname)
			continue
		case tar.TypeReg, tar.TypeRegA:
		default:
			continue
		}
		isBlob := strings.HasPrefix(name, "blobs/sha256/")
		small := hdr.Size <= maxMetadataSize && (!isBlob && !strings.HasSuffix(name, "layer.tar") || isBlob && hdr.Size < 1<<20)
		if small && inMemory+hdr.Size <= maxInMemory {
			inMemory += hdr.Size
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, errdefs.InvalidParameter("invalid archive: %v", err)
			}
			if isBlob {
				want := digest.NewDigestFromEncoded(digest.SHA256, path.Base(name))
				if digest.FromBytes(b) != want {
					return nil, errdefs.InvalidParameter("invalid archive: %s does not match its digest", name)
				}
			}
			l.files[name] = b
			continue
		}
		var expected digest.Digest
		if isBlob {
			expected = digest.NewDigestFromEncoded(digest.SHA256, path.Base(name))
			if expected.Validate() != nil {
				expected = ""
			}
		}
		existed := expected != "" && s.cs.Exists(ctx, expected)
		d, _, err := s.cs.Put(ctx, tr, expected, hdr.Size)
		if err != nil {
			return nil, fmt.Errorf("invalid archive: %s: %w", name, err)
		}
		releases = append(releases, s.lease(d))
		if !existed {
			l.written = append(l.written, d)
		}
		l.blobs[name] = d
	}
	if _, ok := l.files["manifest.json"]; ok {
		return s.loadDocker(ctx, l)
	}
	if _, ok := l.files["index.json"]; ok {
		return s.loadOCI(ctx, l)
	}
	return nil, errdefs.InvalidParameter("invalid archive: neither manifest.json nor index.json found")
}

// layerFor stores (or finds) the layer blob at archive path p.
func (s *Store) layerFor(ctx context.Context, l *loadSession, p string) (Layer, error) {
	d, ok := l.digestOf(p)
	if b, inMem := l.files[l.resolve(p)]; inMem || !ok {
		// A small layer kept in memory: store it.
		if !inMem {
			return Layer{}, errdefs.InvalidParameter("invalid archive: layer %s not found", p)
		}
		existed := ok && s.cs.Exists(ctx, d)
		var err error
		if d, err = s.cs.PutBytes(ctx, b); err != nil {
			return Layer{}, err
		}
		if !existed {
			l.written = append(l.written, d)
		}
	}
	size, err := s.cs.Size(ctx, d)
	if err != nil {
		return Layer{}, err
	}
	// The blob's own bytes decide its compression, whatever the archive says.
	f, err := s.cs.Open(ctx, d)
	if err != nil {
		return Layer{}, err
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	return Layer{Digest: d, Size: size, MediaType: mediaTypeOf(archive.Detect(head[:n]))}, nil
}

func (s *Store) loadDocker(ctx context.Context, l *loadSession) ([]LoadResult, error) {
	var items []manifestItem
	if err := json.Unmarshal(l.files["manifest.json"], &items); err != nil {
		return nil, errdefs.InvalidParameter("invalid archive: manifest.json: %v", err)
	}
	var out []LoadResult
	for _, it := range items {
		raw, err := s.readPath(ctx, l, it.Config)
		if err != nil {
			return out, err
		}
		var layers []Layer
		for _, p := range it.Layers {
			layer, err := s.layerFor(ctx, l, p)
			if err != nil {
				return out, err
			}
			layers = append(layers, layer)
		}
		res, err := s.loadImage(ctx, raw, layers, it.RepoTags)
		if err != nil {
			return out, err
		}
		out = append(out, res...)
	}
	return out, nil
}

func (s *Store) loadOCI(ctx context.Context, l *loadSession) ([]LoadResult, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(l.files["index.json"], &idx); err != nil {
		return nil, errdefs.InvalidParameter("invalid archive: index.json: %v", err)
	}
	var out []LoadResult
	for _, desc := range idx.Manifests {
		var tags []string
		if n := desc.Annotations[annotationImageName]; n != "" {
			tags = append(tags, n)
		} else if n := desc.Annotations[ocispec.AnnotationRefName]; n != "" {
			if named, err := reference.ParseNormalizedNamed(n); err == nil && strings.ContainsAny(n, "/:") {
				tags = append(tags, named.String())
			}
		}
		mdesc, err := s.pickManifest(ctx, l, desc, 0)
		if err != nil {
			return out, err
		}
		mb, err := s.readPath(ctx, l, blobPath(mdesc.Digest))
		if err != nil {
			return out, err
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(mb, &m); err != nil {
			return out, errdefs.InvalidParameter("invalid archive: manifest %s: %v", mdesc.Digest, err)
		}
		raw, err := s.readPath(ctx, l, blobPath(m.Config.Digest))
		if err != nil {
			return out, err
		}
		var layers []Layer
		for _, ld := range m.Layers {
			layer, err := s.layerFor(ctx, l, blobPath(ld.Digest))
			if err != nil {
				return out, err
			}
			layers = append(layers, layer)
		}
		res, err := s.loadImage(ctx, raw, layers, tags)
		if err != nil {
			return out, err
		}
		out = append(out, res...)
	}
	return out, nil
}

// pickManifest follows image indexes down to the manifest for this host.
func (s *Store) pickManifest(ctx context.Context, l *loadSession, desc ocispec.Descriptor, depth int) (ocispec.Descriptor, error) {
	switch desc.MediaType {
	case ocispec.MediaTypeImageManifest, "application/vnd.docker.distribution.manifest.v2+json":
		return desc, nil
	case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
	default:
		return desc, nil // unknown: try it as a manifest
	}
	if depth > 4 {
		return desc, errdefs.InvalidParameter("invalid archive: image indexes nested too deep")
	}
	b, err := s.readPath(ctx, l, blobPath(desc.Digest))
	if err != nil {
		return desc, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return desc, errdefs.InvalidParameter("invalid archive: index %s: %v", desc.Digest, err)
	}
	for _, m := range idx.Manifests {
		if m.Platform == nil || m.Platform.OS == "linux" && m.Platform.Architecture == runtime.GOARCH {
			if _, ok := l.digestOf(blobPath(m.Digest)); ok {
				return s.pickManifest(ctx, l, m, depth+1)
			}
		}
	}
	return desc, errdefs.NotFound("no image for linux/%s in the archive", runtime.GOARCH)
}

func (s *Store) loadImage(ctx context.Context, raw []byte, layers []Layer, tags []string) ([]LoadResult, error) {
	img, err := s.Create(ctx, raw, layers, "")
	if err != nil {
		return nil, err
	}
	var out []LoadResult
	for _, t := range tags {
		if err := s.Tag(ctx, img.ID.String(), t); err != nil {
			return out, err
		}
		named, _ := ParseTag(t)
		out = append(out, LoadResult{Ref: reference.FamiliarString(named), ID: img.ID})
	}
	if len(tags) == 0 {
		out = append(out, LoadResult{ID: img.ID})
	}
	return out, nil
}

// dropUnreferenced deletes blobs a load wrote that no image references.
func (s *Store) dropUnreferenced(ctx context.Context, written []digest.Digest) {
	if len(written) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	used := map[digest.Digest]bool{}
	for _, e := range s.images {
		used[e.rec.ID] = true
		for _, l := range e.rec.Layers {
			used[l.Digest] = true
		}
	}
	for _, d := range written {
		if !used[d] && s.leases[d] <= 0 {
			if err := s.cs.Delete(ctx, d); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
				continue
			}
		}
	}
}
