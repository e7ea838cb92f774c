package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	apiimage "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/atomicfile"
	"github.com/tug-project/tug/internal/content"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/snapshot/overlay"
)

// Layer is one layer of an image: its blob as stored (compressed or not)
// and the digest of its uncompressed tar.
type Layer struct {
	Digest    digest.Digest // the blob in the content store
	DiffID    digest.Digest
	Size      int64 // blob size
	MediaType string
}

// Image is an image as the daemon sees it.
type Image struct {
	ID          digest.Digest // sha256 of the raw config JSON (Docker's image ID)
	Config      dockerspec.DockerOCIImage
	RawConfig   []byte
	RepoTags    []string // familiar form, e.g. "busybox:latest", "localhost:5000/app:v1"
	RepoDigests []string // familiar form, e.g. "busybox@sha256:..."
	Layers      []Layer
	ChainID     digest.Digest // chain ID of the top layer; "" when the image has no layers
	Size        int64         // unpacked size in bytes
	Created     time.Time
	Comment     string // the config's "comment" (set by import and commit)
}

// record is what the store persists per image; the config lives in the
// content store under the image ID.
type record struct {
	ID     digest.Digest `json:"id"`
	Layers []Layer       `json:"layers"`
	Added  time.Time     `json:"added"`
}

type entry struct {
	rec     record
	config  dockerspec.DockerOCIImage
	raw     []byte
	comment string
	chainID digest.Digest
	size    int64
}

// Store keeps image records and references under root:
//
//	<root>/images/<id hex>.json   one record per image
//	<root>/repositories.json      reference (full form) -> image ID
type Store struct {
	root string
	cs   *content.Store
	sn   *overlay.Snapshotter

	mu     sync.RWMutex
	images map[digest.Digest]*entry
	refs   map[string]digest.Digest // full reference string -> ID
	leases map[digest.Digest]int    // blobs and chains in use by creations in progress
}

// NewStore opens (creating if needed) the image store at root.
func NewStore(root string, cs *content.Store, sn *overlay.Snapshotter) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(root, "images"), 0o700); err != nil {
		return nil, err
	}
	s := &Store{root: root, cs: cs, sn: sn, images: map[digest.Digest]*entry{}, refs: map[string]digest.Digest{}, leases: map[digest.Digest]int{}}
	files, err := os.ReadDir(filepath.Join(root, "images"))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	for _, f := range files {
		p := filepath.Join(root, "images", f.Name())
		if filepath.Ext(f.Name()) != ".json" {
			os.Remove(p) // leftover temp file
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil {
			slog.Warn("image store: dropping unreadable record", "file", p, "err", err)
			continue
		}
		e, err := s.load(ctx, rec)
		if err != nil {
			slog.Warn("image store: dropping broken image", "id", rec.ID, "err", err)
			continue
		}
		s.images[rec.ID] = e
	}
	b, err := os.ReadFile(filepath.Join(root, "repositories.json"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		var refs map[string]digest.Digest
		if err := json.Unmarshal(b, &refs); err != nil {
			return nil, fmt.Errorf("image store: repositories.json: %w", err)
		}
		for r, id := range refs {
			if _, ok := s.images[id]; ok {
				s.refs[r] = id
			}
		}
	}
	return s, nil
}

// load builds the in-memory entry of a record, checking its config and layers.
func (s *Store) load(ctx context.Context, rec record) (*entry, error) {
	raw, err := s.cs.Get(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	e := &entry{rec: rec, raw: raw}
	if err := json.Unmarshal(raw, &e.config); err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	var extra struct {
		Comment string `json:"comment"`
	}
	_ = json.Unmarshal(raw, &extra)
	e.comment = extra.Comment
	if len(e.config.RootFS.DiffIDs) != len(rec.Layers) {
		return nil, fmt.Errorf("image has %d layers but its config %d diff IDs", len(rec.Layers), len(e.config.RootFS.DiffIDs))
	}
	for i, id := range overlay.ChainIDs(e.config.RootFS.DiffIDs) {
		l, err := s.sn.Layer(id)
		if err != nil {
			return nil, err
		}
		if rec.Layers[i].DiffID != e.config.RootFS.DiffIDs[i] {
			return nil, fmt.Errorf("layer %d diffID %s does not match the config's %s", i, rec.Layers[i].DiffID, e.config.RootFS.DiffIDs[i])
		}
		e.size += l.Size
		e.chainID = id
	}
	return e, nil
}

// saveRefs persists the reference map; callers hold s.mu.
func (s *Store) saveRefs() error {
	b, err := json.Marshal(s.refs)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(s.root, "repositories.json"), b, 0o600)
}

func (s *Store) recordPath(id digest.Digest) string {
	return filepath.Join(s.root, "images", id.Encoded()+".json")
}

// image builds the public view of an entry; callers hold s.mu.
func (s *Store) image(e *entry) *Image {
	img := &Image{
		ID:        e.rec.ID,
		Config:    e.config,
		RawConfig: e.raw,
		Layers:    append([]Layer(nil), e.rec.Layers...),
		ChainID:   e.chainID,
		Size:      e.size,
		Comment:   e.comment,
	}
	if e.config.Created != nil {
		img.Created = *e.config.Created
	}
	for r, id := range s.refs {
		if id != e.rec.ID {
			continue
		}
		named, err := reference.ParseNormalizedNamed(r)
		if err != nil {
			continue
		}
		if _, ok := named.(reference.Canonical); ok {
			img.RepoDigests = append(img.RepoDigests, reference.FamiliarString(named))
		} else {
			img.RepoTags = append(img.RepoTags, reference.FamiliarString(named))
		}
	}
	sort.Strings(img.RepoTags)
	sort.Strings(img.RepoDigests)
	return img
}

// resolve finds the image nameOrID names with Docker's rules; callers hold s.mu.
func (s *Store) resolve(nameOrID string) (*entry, error) {
	ref, err := reference.ParseAnyReference(nameOrID)
	if err != nil {
		// Not a reference; it can still be an ID prefix ("sha256:abc").
		if id, ok := matchIDPrefix(s.ids(), nameOrID); ok {
			return s.images[id], nil
		}
		return nil, errdefs.InvalidParameter("%s", err.Error())
	}
	named, ok := ref.(reference.Named)
	if !ok {
		if d, ok := ref.(reference.Digested); ok {
			if e, ok := s.images[d.Digest()]; ok {
				return e, nil
			}
		}
		return nil, notFound(nameOrID)
	}
	if id, ok := s.refs[reference.TagNameOnly(named).String()]; ok {
		if e, ok := s.images[id]; ok {
			return e, nil
		}
	}
	if id, ok := matchIDPrefix(s.ids(), nameOrID); ok {
		return s.images[id], nil
	}
	return nil, notFound(nameOrID)
}

func (s *Store) ids() []digest.Digest {
	out := make([]digest.Digest, 0, len(s.images))
	for id := range s.images {
		out = append(out, id)
	}
	return out
}

// Get returns the image nameOrID names: name[:tag] (familiar or full),
// name@digest, "sha256:<id>", a bare 64-hex ID, or a unique ID prefix.
func (s *Store) Get(ctx context.Context, nameOrID string) (*Image, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, err := s.resolve(nameOrID)
	if err != nil {
		return nil, err
	}
	return s.image(e), nil
}

// List returns every image, newest first.
func (s *Store) List(ctx context.Context) ([]*Image, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Image, 0, len(s.images))
	for _, e := range s.images {
		out = append(out, s.image(e))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Tag points ref (e.g. "app:v1"; ":latest" by default) at the image
// nameOrID names, moving it if it pointed elsewhere.
func (s *Store) Tag(ctx context.Context, nameOrID, ref string) error {
	tagged, err := ParseTag(ref)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.resolve(nameOrID)
	if err != nil {
		return err
	}
	return s.setRef(tagged, e.rec.ID)
}

// AddRepoDigest records name@digest (e.g. after a pull) for the image id.
func (s *Store) AddRepoDigest(ctx context.Context, id digest.Digest, canonical string) error {
	named, err := reference.ParseNormalizedNamed(canonical)
	if err != nil {
		return errdefs.InvalidParameter("%s", err.Error())
	}
	c, ok := named.(reference.Canonical)
	if !ok {
		return errdefs.InvalidParameter("%s is not a digest reference", canonical)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.images[id]; !ok {
		return errdefs.NotFound("No such image: %s", id)
	}
	return s.setRef(c, id)
}

// setRef points ref at id and persists; callers hold s.mu.
func (s *Store) setRef(ref reference.Named, id digest.Digest) error {
	key := ref.String()
	old, had := s.refs[key]
	if had && old == id {
		return nil
	}
	s.refs[key] = id
	if err := s.saveRefs(); err != nil {
		if had {
			s.refs[key] = old
		} else {
			delete(s.refs, key)
		}
		return err
	}
	return nil
}

// refsOf returns the references to id; callers hold s.mu.
func (s *Store) refsOf(id digest.Digest) []reference.Named {
	var out []reference.Named
	for r, rid := range s.refs {
		if rid != id {
			continue
		}
		if named, err := reference.ParseNormalizedNamed(r); err == nil {
			out = append(out, named)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// lease keeps digests (blobs, chain IDs) from being removed by a
// concurrent Delete while an image is being created.
func (s *Store) lease(ids ...digest.Digest) func() {
	s.mu.Lock()
	for _, id := range ids {
		s.leases[id]++
	}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		for _, id := range ids {
			if s.leases[id]--; s.leases[id] <= 0 {
				delete(s.leases, id)
			}
		}
		s.mu.Unlock()
	}
}

// create records an image whose config is raw and whose layer blobs and
// snapshots exist, and points ref at it (nil: untagged). Creating an
// image that exists only (re)tags it.
func (s *Store) create(ctx context.Context, raw []byte, layers []Layer, ref reference.Named) (*Image, error) {
	id, err := s.cs.PutBytes(ctx, raw)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.images[id]
	if !ok {
		rec := record{ID: id, Layers: layers, Added: time.Now().UTC()}
		e, err = s.load(ctx, rec)
		if err != nil {
			return nil, err
		}
		for _, l := range layers {
			if !s.cs.Exists(ctx, l.Digest) {
				return nil, fmt.Errorf("layer blob %s missing", l.Digest)
			}
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		if err := atomicfile.Write(s.recordPath(id), b, 0o600); err != nil {
			return nil, err
		}
		s.images[id] = e
	}
	if ref != nil {
		if err := s.setRef(ref, id); err != nil {
			return nil, err
		}
	}
	return s.image(e), nil
}

// Delete follows `docker rmi` with the rules and texts of moby's
// daemon/images/image_delete.go: a name untags (deleting the image with its
// last reference), an ID deletes (forced if several repositories). usedBy
// reports a container using an image, and whether it is running.
func (s *Store) Delete(ctx context.Context, nameOrID string, force bool, usedBy func(id digest.Digest) (containerID string, running bool, used bool)) ([]apiimage.DeleteResponse, error) {
	if usedBy == nil {
		usedBy = func(digest.Digest) (string, bool, bool) { return "", false, false }
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.resolve(nameOrID)
	if err != nil {
		return nil, err
	}
	id := e.rec.ID
	records := []apiimage.DeleteResponse{}
	repoRefs := s.refsOf(id)
	quiet := false

	if !isImageIDPrefix(id, nameOrID) {
		if !force && isSingleReference(repoRefs) {
			if ctr, _, used := usedBy(id); used {
				return nil, errdefs.Conflict("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s", nameOrID, truncate(ctr), ShortID(id))
			}
		}
		named, err := reference.ParseNormalizedNamed(nameOrID)
		if err != nil {
			return nil, errdefs.InvalidParameter("%s", err.Error())
		}
		named = reference.TagNameOnly(named)
		if err := s.removeRef(named); err != nil {
			return nil, err
		}
		records = append(records, apiimage.DeleteResponse{Untagged: reference.FamiliarString(named)})
		repoRefs = s.refsOf(id)
		if _, isCanonical := named.(reference.Canonical); !isCanonical {
			foundTag := false
			for _, r := range repoRefs {
				if _, c := r.(reference.Canonical); !c && r.Name() == named.Name() {
					foundTag = true
					break
				}
			}
			if !foundTag {
				var remaining []reference.Named
				for _, r := range repoRefs {
					if _, c := r.(reference.Canonical); c && r.Name() == named.Name() {
						if err := s.removeRef(r); err != nil {
							return records, err
						}
						records = append(records, apiimage.DeleteResponse{Untagged: reference.FamiliarString(r)})
					} else {
						remaining = append(remaining, r)
					}
				}
				repoRefs = remaining
			}
		}
		if len(repoRefs) > 0 {
			return records, nil
		}
		quiet = true // the untag is done; a conflict now just keeps the image
	} else if isSingleReference(repoRefs) {
		if err := s.checkConflict(id, force, false, usedBy); err != nil {
			return nil, err
		}
		for _, r := range repoRefs {
			if err := s.removeRef(r); err != nil {
				return nil, err
			}
			records = append(records, apiimage.DeleteResponse{Untagged: reference.FamiliarString(r)})
		}
	}

	if err := s.checkConflict(id, force, true, usedBy); err != nil {
		if quiet {
			return records, nil
		}
		return nil, err
	}
	for _, r := range s.refsOf(id) {
		if err := s.removeRef(r); err != nil {
			return nil, err
		}
		records = append(records, apiimage.DeleteResponse{Untagged: reference.FamiliarString(r)})
	}
	removed, err := s.removeImage(ctx, id)
	if err != nil {
		return records, err
	}
	records = append(records, apiimage.DeleteResponse{Deleted: id.String()})
	for _, l := range removed {
		records = append(records, apiimage.DeleteResponse{Deleted: l.String()})
	}
	return records, nil
}

// checkConflict is moby's checkImageDeleteConflict: running containers
// are hard conflicts; references (when checkRefs) and stopped containers
// are soft ones, ignored when forced. Callers hold s.mu.
func (s *Store) checkConflict(id digest.Digest, force, checkRefs bool, usedBy func(digest.Digest) (string, bool, bool)) error {
	ctr, running, used := usedBy(id)
	if used && running {
		return errdefs.Conflict("conflict: unable to delete %s (cannot be forced) - image is being used by running container %s", ShortID(id), truncate(ctr))
	}
	if force {
		return nil
	}
	if checkRefs && len(s.refsOf(id)) > 0 {
		return errdefs.Conflict("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", ShortID(id))
	}
	if used {
		return errdefs.Conflict("conflict: unable to delete %s (must be forced) - image is being used by stopped container %s", ShortID(id), truncate(ctr))
	}
	return nil
}

func truncate(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// isSingleReference is moby's: all references from one repository and at
// most one tag; false for none.
func isSingleReference(refs []reference.Named) bool {
	if len(refs) <= 1 {
		return len(refs) == 1
	}
	var single reference.Named
	canonical := map[string]struct{}{}
	for _, r := range refs {
		if _, ok := r.(reference.Canonical); ok {
			canonical[r.Name()] = struct{}{}
		} else if single == nil {
			single = r
		} else {
			return false
		}
	}
	if single == nil {
		single = refs[0]
	}
	_, ok := canonical[single.Name()]
	return len(canonical) == 1 && ok
}

// removeRef drops a reference and persists; callers hold s.mu.
func (s *Store) removeRef(ref reference.Named) error {
	key := ref.String()
	id, ok := s.refs[key]
	if !ok {
		return nil
	}
	delete(s.refs, key)
	if err := s.saveRefs(); err != nil {
		s.refs[key] = id
		return err
	}
	return nil
}

// removeImage deletes the record of id, then the layer snapshots and
// blobs nothing else uses, and returns the chain IDs of removed layers.
// Callers hold s.mu.
func (s *Store) removeImage(ctx context.Context, id digest.Digest) ([]digest.Digest, error) {
	e := s.images[id]
	if err := os.Remove(s.recordPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	delete(s.images, id)

	usedChains, usedBlobs := map[digest.Digest]bool{}, map[digest.Digest]bool{}
	for _, o := range s.images {
		for _, c := range overlay.ChainIDs(o.config.RootFS.DiffIDs) {
			usedChains[c] = true
		}
		for _, l := range o.rec.Layers {
			usedBlobs[l.Digest] = true
		}
		usedBlobs[o.rec.ID] = true
	}
	var removed []digest.Digest
	chains := overlay.ChainIDs(e.config.RootFS.DiffIDs)
	for i := len(chains) - 1; i >= 0; i-- {
		c := chains[i]
		if usedChains[c] || s.leases[c] > 0 {
			break
		}
		if err := s.sn.RemoveLayer(ctx, c); err != nil {
			if !errors.Is(err, errdefs.ErrConflict) {
				slog.Warn("image delete: removing layer", "chain", c, "err", err)
			}
			break // a container (or another layer) still uses it, and so its parents
		}
		removed = append(removed, c)
	}
	for _, d := range append([]digest.Digest{id}, layerDigests(e.rec.Layers)...) {
		if usedBlobs[d] || s.leases[d] > 0 {
			continue
		}
		if err := s.cs.Delete(ctx, d); err != nil {
			slog.Warn("image delete: removing blob", "digest", d, "err", err)
		}
	}
	return removed, nil
}

func layerDigests(ls []Layer) []digest.Digest {
	out := make([]digest.Digest, len(ls))
	for i, l := range ls {
		out[i] = l.Digest
	}
	return out
}

// GC removes layer snapshots that no image uses and no container sits
// on (left behind when a forced rmi kept layers a container used, or by a
// crash). Call it after removing containers.
func (s *Store) GC(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	used := map[digest.Digest]bool{}
	for _, e := range s.images {
		for _, c := range overlay.ChainIDs(e.config.RootFS.DiffIDs) {
			used[c] = true
		}
	}
	for {
		layers, err := s.sn.Layers(ctx)
		if err != nil {
			return err
		}
		progress := false
		for _, l := range layers {
			if used[l.ChainID] || s.leases[l.ChainID] > 0 {
				continue
			}
			if err := s.sn.RemoveLayer(ctx, l.ChainID); err == nil {
				progress = true
			}
		}
		if !progress {
			return nil
		}
	}
}
