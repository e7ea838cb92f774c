package image

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"time"

	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/snapshot/overlay"
)

// mediaTypeOf is the OCI layer media type for a compression.
func mediaTypeOf(c archive.Compression) string {
	switch c {
	case archive.Gzip:
		return ocispec.MediaTypeImageLayerGzip
	case archive.Zstd:
		return ocispec.MediaTypeImageLayerZstd
	}
	return ocispec.MediaTypeImageLayer
}

// Create records an image from its raw config and its layers, whose blobs
// must be in the content store; layer snapshots missing are unpacked from
// the blobs. ref ("" for none) is tagged to it.
func (s *Store) Create(ctx context.Context, rawConfig []byte, layers []Layer, ref string) (*Image, error) {
	var named reference.Named
	if ref != "" {
		t, err := ParseTag(ref)
		if err != nil {
			return nil, err
		}
		named = t
	}
	var cfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(rawConfig, &cfg); err != nil {
		return nil, fmt.Errorf("invalid image config: %w", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return nil, fmt.Errorf("image config has %d diff IDs for %d layers", len(cfg.RootFS.DiffIDs), len(layers))
	}
	layers = append([]Layer(nil), layers...)
	for i := range layers {
		switch layers[i].DiffID {
		case "":
			layers[i].DiffID = cfg.RootFS.DiffIDs[i]
		case cfg.RootFS.DiffIDs[i]:
		default:
			return nil, fmt.Errorf("layer %d: diffID %s does not match the config's %s", i, layers[i].DiffID, cfg.RootFS.DiffIDs[i])
		}
	}
	chains := overlay.ChainIDs(cfg.RootFS.DiffIDs)
	release := s.lease(append(chains, layerDigests(layers)...)...)
	defer release()
	if err := s.ensureLayers(ctx, cfg.RootFS.DiffIDs, layers); err != nil {
		return nil, err
	}
	return s.create(ctx, rawConfig, layers, named)
}

// ensureLayers unpacks the snapshots of layers that are not there yet.
func (s *Store) ensureLayers(ctx context.Context, diffIDs []digest.Digest, layers []Layer) error {
	var parent digest.Digest
	for i, l := range layers {
		l.DiffID = diffIDs[i]
		chain := overlay.ChainID(parent, l.DiffID)
		if !s.sn.Exists(chain) {
			f, err := s.cs.Open(ctx, l.Digest)
			if err != nil {
				return fmt.Errorf("layer %s: %w", l.Digest, err)
			}
			_, err = s.sn.Apply(ctx, parent, l.DiffID, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("applying layer %s: %w", l.Digest, err)
			}
		}
		parent = chain
	}
	return nil
}

// applyStream stores the layer stream r (as received) in the content store
// and unpacks it as a base layer, in one pass. The returned release must
// be called once the image is recorded.
func (s *Store) applyStream(ctx context.Context, r io.Reader) (Layer, func(), error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(16)
	comp := archive.Detect(head)
	w, err := s.cs.Writer(ctx)
	if err != nil {
		return Layer{}, nil, err
	}
	defer w.Close()
	tee := io.TeeReader(br, w)
	l, err := s.sn.Apply(ctx, "", "", tee)
	if err != nil {
		return Layer{}, nil, err
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return Layer{}, nil, err
	}
	blob, size, err := w.Commit(ctx, "", -1)
	if err != nil {
		return Layer{}, nil, err
	}
	release := s.lease(l.ChainID, blob)
	if !s.sn.Exists(l.ChainID) {
		release()
		return Layer{}, nil, errors.New("layer was removed while importing; retry")
	}
	return Layer{Digest: blob, DiffID: l.DiffID, Size: size, MediaType: mediaTypeOf(comp)}, release, nil
}

// importConfig is the config JSON of an imported image: Docker's fields,
// including the top-level "comment" the OCI struct lacks.
type importConfig struct {
	dockerspec.DockerOCIImage
	Comment string `json:"comment,omitempty"`
}

func newConfig(created time.Time, cfg dockerspec.DockerOCIImageConfig, diffIDs []digest.Digest, history ocispec.History, comment string) ([]byte, error) {
	c := importConfig{Comment: comment}
	c.Created = &created
	c.Architecture = runtime.GOARCH
	c.OS = "linux"
	c.Config = cfg
	c.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}
	history.Created = &created
	c.History = []ocispec.History{history}
	return json.Marshal(c)
}

// Import creates a one-layer image from a root filesystem tar (gzip, zstd,
// bzip2 or plain), as `docker import`: changes are Dockerfile-like lines,
// message the comment ("Imported from -" if empty), ref "" leaves it untagged.
func (s *Store) Import(ctx context.Context, r io.Reader, ref string, changes []string, message string) (*Image, error) {
	var named reference.Named
	if ref != "" {
		t, err := ParseTag(ref)
		if err != nil {
			return nil, err
		}
		named = t
	}
	var cfg dockerspec.DockerOCIImageConfig
	if err := ApplyChanges(&cfg, changes); err != nil {
		return nil, err
	}
	if message == "" {
		message = "Imported from -"
	}
	l, release, err := s.applyStream(ctx, r)
	if err != nil {
		return nil, err
	}
	defer release()
	raw, err := newConfig(time.Now().UTC(), cfg, []digest.Digest{l.DiffID}, ocispec.History{Comment: message}, message)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, raw, []Layer{l}, named)
}

// HelloWorldRef is the tag of the built-in hello-world image.
const HelloWorldRef = "hello-world:latest"

// EnsureHelloWorld creates hello-world:latest from the static program at
// binPath (as /hello, Cmd ["/hello"]) unless the image exists or binPath
// does not. The image is deterministic for a given binary.
func (s *Store) EnsureHelloWorld(ctx context.Context, binPath string) error {
	return s.ensureBuiltin(ctx, HelloWorldRef, "hello", binPath)
}

// PauseRef is the tag of the built-in pause image, the process holding a
// CRI pod's namespaces.
const PauseRef = "tug-pause:latest"

// EnsurePause creates tug-pause:latest from the static program at binPath
// (as /pause, Cmd ["/pause"]) unless the image exists or binPath does not.
func (s *Store) EnsurePause(ctx context.Context, binPath string) error {
	return s.ensureBuiltin(ctx, PauseRef, "pause", binPath)
}

// ensureBuiltin creates the one-file image ref from the program at binPath
// (as /file, its Cmd) unless the image exists or binPath does not. The
// image is deterministic for a given binary.
func (s *Store) ensureBuiltin(ctx context.Context, ref, file, binPath string) error {
	if _, err := s.Get(ctx, ref); err == nil {
		return nil
	}
	f, err := os.Open(binPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	mtime := fi.ModTime().UTC().Truncate(time.Second)
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Name: file, Typeflag: tar.TypeReg, Mode: 0o755, Size: fi.Size(), ModTime: mtime, Format: tar.FormatPAX})
		if err == nil {
			_, err = io.Copy(tw, f)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	l, release, err := s.applyStream(ctx, pr)
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	defer release()
	cfg := dockerspec.DockerOCIImageConfig{}
	cfg.Cmd = []string{"/" + file}
	cfg.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	raw, err := newConfig(mtime, cfg, []digest.Digest{l.DiffID}, ocispec.History{CreatedBy: `CMD ["/` + file + `"]`, Comment: "tug built-in"}, "")
	if err != nil {
		return err
	}
	named, _ := ParseTag(ref)
	_, err = s.create(ctx, raw, []Layer{l}, named)
	return err
}
