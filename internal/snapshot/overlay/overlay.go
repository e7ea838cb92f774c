package overlay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/mount"
)

// ChainID returns the chain ID of a layer with the given diffID on top of
// the chain parent ("" for the first layer), per the OCI image spec.
func ChainID(parent, diffID digest.Digest) digest.Digest {
	if parent == "" {
		return diffID
	}
	return digest.FromString(parent.String() + " " + diffID.String())
}

// ChainIDs returns the chain ID of every prefix of diffIDs.
func ChainIDs(diffIDs []digest.Digest) []digest.Digest {
	out := make([]digest.Digest, len(diffIDs))
	var parent digest.Digest
	for i, d := range diffIDs {
		parent = ChainID(parent, d)
		out[i] = parent
	}
	return out
}

// Layer describes an unpacked layer snapshot.
type Layer struct {
	ChainID digest.Digest `json:"chainID"`
	DiffID  digest.Digest `json:"diffID"`
	Parent  digest.Digest `json:"parent,omitempty"` // chain ID of the layer below
	Size    int64         `json:"size"`             // bytes of file content
}

// Snapshotter manages layer and container snapshots under one root:
//
//	<root>/snapshots/<chainID hex>/{fs,layer.json}
//	<root>/containers/<key>/{upper,work,init,parent}  init: a link to
//	                    <root>/init; parent: the layer chain's ID, then
//	                    "ephemeral" for PrepareEphemeral's
//	<root>/init         the init layer of every container snapshot
//	<root>/empty        the lower dir of images with no layers
//	<root>/tmp          work in progress, cleared at start
type Snapshotter struct {
	root     string
	indexOff bool

	mu       sync.Mutex // orders publishing and removal decisions
	inflight map[digest.Digest]*flight
}

type flight struct {
	done  chan struct{}
	layer Layer
	err   error
}

// New opens (creating if needed) the snapshotter rooted at root.
func New(root string) (*Snapshotter, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"snapshots", "containers", "empty", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(filepath.Join(root, "empty"), 0o755); err != nil {
		return nil, err
	}
	if err := ensureInitLayer(filepath.Join(root, sharedInit)); err != nil {
		return nil, fmt.Errorf("init layer: %w", err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "tmp"))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(root, "tmp", e.Name())); err != nil {
			slog.Warn("snapshot: removing leftover", "path", e.Name(), "err", err)
		}
	}
	markTopDir(filepath.Join(root, "tmp"))
	s := &Snapshotter{root: root, inflight: map[digest.Digest]*flight{}}
	// Layers are shared by many overlays: the overlay index would tie a
	// lower dir to the first upper it was used with.
	if _, err := os.Stat("/sys/module/overlay/parameters/index"); err == nil {
		s.indexOff = true
	}
	return s, nil
}

// Root returns the snapshotter's directory.
func (s *Snapshotter) Root() string { return s.root }

func (s *Snapshotter) layerDir(chainID digest.Digest) string {
	return filepath.Join(s.root, "snapshots", chainID.Encoded())
}

// LayerFS returns the directory holding the layer's files (its overlay
// form: whiteouts are 0/0 char devices).
func (s *Snapshotter) LayerFS(chainID digest.Digest) string {
	return filepath.Join(s.layerDir(chainID), "fs")
}

func (s *Snapshotter) tempDir() (string, error) {
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	p := filepath.Join(s.root, "tmp", hex.EncodeToString(rnd[:]))
	return p, os.Mkdir(p, 0o700)
}

// Layer returns the layer snapshot with the given chain ID.
func (s *Snapshotter) Layer(chainID digest.Digest) (Layer, error) {
	if chainID.Validate() != nil {
		return Layer{}, fmt.Errorf("layer %q: %w", chainID, errdefs.ErrInvalidParameter)
	}
	b, err := os.ReadFile(filepath.Join(s.layerDir(chainID), "layer.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return Layer{}, fmt.Errorf("layer %s: %w", chainID, errdefs.ErrNotFound)
	}
	if err != nil {
		return Layer{}, err
	}
	var l Layer
	if err := json.Unmarshal(b, &l); err != nil {
		return Layer{}, fmt.Errorf("layer %s: %w", chainID, err)
	}
	return l, nil
}

// Exists reports whether the layer snapshot exists.
func (s *Snapshotter) Exists(chainID digest.Digest) bool {
	_, err := s.Layer(chainID)
	return err == nil
}

// Layers lists all layer snapshots.
func (s *Snapshotter) Layers(ctx context.Context) ([]Layer, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, "snapshots"))
	if err != nil {
		return nil, err
	}
	var out []Layer
	for _, e := range entries {
		l, err := s.Layer(digest.NewDigestFromEncoded(digest.SHA256, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, l)
	}
	return out, nil
}

// Apply unpacks the layer stream r (compressed or not) on top of the chain
// parent ("" for a base layer) and returns the layer. If diffID is known
// and the resulting chain already exists, r is not read; a known diffID is
// verified. Concurrent Applies of the same chain do the work once.
func (s *Snapshotter) Apply(ctx context.Context, parent, diffID digest.Digest, r io.Reader) (Layer, error) {
	if parent != "" && !s.Exists(parent) {
		return Layer{}, fmt.Errorf("parent layer %s: %w", parent, errdefs.ErrNotFound)
	}
	if diffID == "" {
		return s.apply(ctx, parent, "", r)
	}
	chainID := ChainID(parent, diffID)
	for {
		if l, err := s.Layer(chainID); err == nil {
			return l, nil
		}
		s.mu.Lock()
		if f, ok := s.inflight[chainID]; ok {
			s.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return Layer{}, ctx.Err()
			}
			if f.err == nil {
				return f.layer, nil
			}
			continue // the other attempt failed; try ourselves
		}
		f := &flight{done: make(chan struct{})}
		s.inflight[chainID] = f
		s.mu.Unlock()

		f.layer, f.err = s.apply(ctx, parent, diffID, r)
		s.mu.Lock()
		delete(s.inflight, chainID)
		s.mu.Unlock()
		close(f.done)
		return f.layer, f.err
	}
}

func (s *Snapshotter) apply(ctx context.Context, parent, diffID digest.Digest, r io.Reader) (Layer, error) {
	tmp, err := s.tempDir()
	if err != nil {
		return Layer{}, err
	}
	defer os.RemoveAll(tmp)
	fsDir := filepath.Join(tmp, "fs")
	if err := os.Mkdir(fsDir, 0o755); err != nil {
		return Layer{}, err
	}
	res, err := archive.Apply(ctx, r, fsDir, archive.Options{})
	if err != nil {
		return Layer{}, err
	}
	if diffID != "" && res.DiffID != diffID {
		return Layer{}, fmt.Errorf("layer diffID mismatch: got %s, want %s: %w", res.DiffID, diffID, errdefs.ErrInvalidParameter)
	}
	l := Layer{ChainID: ChainID(parent, res.DiffID), DiffID: res.DiffID, Parent: parent, Size: res.Size}
	b, err := json.Marshal(l)
	if err != nil {
		return Layer{}, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "layer.json"), b, 0o600); err != nil {
		return Layer{}, err
	}
	if err := syncFS(tmp); err != nil {
		return Layer{}, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if parent != "" && !s.Exists(parent) {
		return Layer{}, fmt.Errorf("parent layer %s was removed: %w", parent, errdefs.ErrNotFound)
	}
	if existing, err := s.Layer(l.ChainID); err == nil {
		return existing, nil // someone else published it meanwhile
	}
	dst := s.layerDir(l.ChainID)
	if err := os.RemoveAll(dst); err != nil { // a torn dir without layer.json
		return Layer{}, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return Layer{}, err
	}
	return l, syncDir(filepath.Dir(dst))
}

func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// inUse reports whether any layer or container snapshot sits directly
// on chainID; callers hold s.mu.
func (s *Snapshotter) inUse(chainID digest.Digest) (string, bool) {
	layers, _ := s.Layers(context.Background())
	for _, l := range layers {
		if l.Parent == chainID {
			return "layer " + l.ChainID.String(), true
		}
	}
	entries, _ := os.ReadDir(filepath.Join(s.root, "containers"))
	for _, e := range entries {
		if p, err := s.containerParent(e.Name()); err == nil && p == chainID {
			return "container " + e.Name(), true
		}
	}
	return "", false
}

// RemoveLayer removes a layer snapshot unless a layer or container
// snapshot still sits on it (errdefs.ErrConflict). Missing is not an error.
func (s *Snapshotter) RemoveLayer(ctx context.Context, chainID digest.Digest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.Exists(chainID) {
		if _, err := os.Stat(s.layerDir(chainID)); err != nil {
			return nil
		}
	}
	if user, ok := s.inUse(chainID); ok {
		return fmt.Errorf("layer %s is used by %s: %w", chainID, user, errdefs.ErrConflict)
	}
	tmp, err := s.moveAside(s.layerDir(chainID))
	if err != nil || tmp == "" {
		return err
	}
	return os.RemoveAll(tmp)
}

// moveAside moves dir into a new directory of tmp, which it returns
// ("" when dir does not exist): dir disappears atomically, and what is
// left to do, deleting the returned directory, needs no lock (a daemon
// that stops before it is done clears tmp at its next start). Call with
// s.mu held.
func (s *Snapshotter) moveAside(dir string) (string, error) {
	tmp, err := s.tempDir()
	if err != nil {
		return "", err
	}
	if err := os.Rename(dir, filepath.Join(tmp, "x")); err != nil {
		os.Remove(tmp)
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	return tmp, nil
}

func (s *Snapshotter) containerDir(key string) (string, error) {
	if key == "" || strings.ContainsAny(key, "/\\") || key == "." || key == ".." {
		return "", fmt.Errorf("invalid snapshot key %q: %w", key, errdefs.ErrInvalidParameter)
	}
	return filepath.Join(s.root, "containers", key), nil
}

func (s *Snapshotter) containerParent(key string) (digest.Digest, error) {
	dir, err := s.containerDir(key)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(dir, "parent"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("snapshot %s: %w", key, errdefs.ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return digest.Digest(strings.TrimSpace(first)), nil
}

// ephemeralMark is the second line of the parent file of a snapshot
// PrepareEphemeral made.
const ephemeralMark = "ephemeral"

// isEphemeral reports whether the container snapshot in dir was made by
// PrepareEphemeral.
func isEphemeral(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "parent"))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(rest) == ephemeralMark
}

// Prepare creates the container snapshot key (an empty upper dir over the
// init layer all share, initlayer.go) on top of the layer chain parent (""
// for an image without layers) and returns the mounts for its root
// filesystem.
func (s *Snapshotter) Prepare(ctx context.Context, key string, parent digest.Digest) ([]mount.Mount, error) {
	return s.prepare(key, parent, false)
}

// PrepareEphemeral is Prepare for a snapshot that need not survive a
// machine crash (a --rm container's): without the fsync that makes it
// durable (~0.5 ms of a create here). A crash may then leave it without
// its container, as it may lose the container's own unsynced files:
// RemoveEphemeral, at start, removes those.
func (s *Snapshotter) PrepareEphemeral(ctx context.Context, key string, parent digest.Digest) ([]mount.Mount, error) {
	return s.prepare(key, parent, true)
}

func (s *Snapshotter) prepare(key string, parent digest.Digest, ephemeral bool) ([]mount.Mount, error) {
	dir, err := s.containerDir(key)
	if err != nil {
		return nil, err
	}
	tmp, err := s.tempDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for _, d := range []string{"upper", "work"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.Symlink(initLink, filepath.Join(tmp, "init")); err != nil {
		return nil, err
	}
	parentFile := parent.String()
	if ephemeral {
		parentFile += "\n" + ephemeralMark + "\n"
	}
	if err := os.WriteFile(filepath.Join(tmp, "parent"), []byte(parentFile), 0o600); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if parent != "" && !s.Exists(parent) {
		return nil, fmt.Errorf("layer %s: %w", parent, errdefs.ErrNotFound)
	}
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("snapshot %s already exists: %w", key, errdefs.ErrConflict)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	if !ephemeral {
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return nil, err
		}
	}
	return s.mounts(dir, parent)
}

// RemoveEphemeral removes the snapshots PrepareEphemeral made whose key
// owned does not claim, and returns their keys: those a machine crash left
// without their container. Call it before any snapshot is prepared.
func (s *Snapshotter) RemoveEphemeral(ctx context.Context, owned func(key string) bool) ([]string, error) {
	keys, err := s.Containers(ctx)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, key := range keys {
		dir, err := s.containerDir(key)
		if err != nil || owned(key) || !isEphemeral(dir) {
			continue
		}
		if err := s.Remove(ctx, key); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, key)
	}
	return removed, errors.Join(errs...)
}

// Mounts returns the mounts of an existing container snapshot.
func (s *Snapshotter) Mounts(ctx context.Context, key string) ([]mount.Mount, error) {
	parent, err := s.containerParent(key)
	if err != nil {
		return nil, err
	}
	dir, _ := s.containerDir(key)
	return s.mounts(dir, parent)
}

func (s *Snapshotter) mounts(dir string, parent digest.Digest) ([]mount.Mount, error) {
	lowers, err := s.lowers(dir, parent)
	if err != nil {
		return nil, err
	}
	var opts []string
	if s.indexOff {
		opts = append(opts, "index=off")
	}
	opts = append(opts,
		"lowerdir="+strings.Join(lowers, ":"),
		"upperdir="+filepath.Join(dir, "upper"),
		"workdir="+filepath.Join(dir, "work"),
	)
	return []mount.Mount{{Type: "overlay", Source: "overlay", Options: opts}}, nil
}

// lowers returns the lower dirs of the container snapshot in dir, top
// first: its init layer (snapshots prepared before there was one have
// none), then the layer chain parent; the empty dir when there is neither.
func (s *Snapshotter) lowers(dir string, parent digest.Digest) ([]string, error) {
	var lowers []string
	if init := filepath.Join(dir, "init"); exists(init) {
		lowers = append(lowers, init)
	}
	layers, err := s.layerDirs(parent)
	if err != nil {
		return nil, err
	}
	lowers = append(lowers, layers...)
	if len(lowers) == 0 {
		lowers = []string{filepath.Join(s.root, "empty")}
	}
	return lowers, nil
}

// layerDirs returns the dirs of the layer chain parent, top first.
func (s *Snapshotter) layerDirs(parent digest.Digest) ([]string, error) {
	var lowers []string
	for id := parent; id != ""; {
		l, err := s.Layer(id)
		if err != nil {
			return nil, err
		}
		lowers = append(lowers, s.LayerFS(id))
		id = l.Parent
	}
	return lowers, nil
}

// UpperDir returns the upper dir of the container snapshot key: what the
// container changed, the layer a build step makes.
func (s *Snapshotter) UpperDir(key string) (string, error) {
	dir, err := s.containerDir(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "upper"), nil
}

// Remove deletes the container snapshot key. Missing is not an error.
func (s *Snapshotter) Remove(ctx context.Context, key string) error {
	dir, err := s.containerDir(key)
	if err != nil {
		return err
	}
	s.mu.Lock()
	tmp, err := s.moveAside(dir)
	s.mu.Unlock()
	if err != nil || tmp == "" {
		return err
	}
	// Deleted without the lock: a create (Prepare) does not wait for it.
	return os.RemoveAll(tmp)
}

// Usage returns the bytes of file content in the container snapshot's
// upper dir (Docker's SizeRw); hard links count once. A missing snapshot
// uses 0 bytes.
func (s *Snapshotter) Usage(key string) int64 {
	dir, err := s.containerDir(key)
	if err != nil {
		return 0
	}
	upper := filepath.Join(dir, "upper")
	seen := map[uint64]bool{}
	var total int64
	_ = filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // racing with the container's writes
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			if seen[st.Ino] {
				return nil
			}
			seen[st.Ino] = true
		}
		if !d.IsDir() {
			total += info.Size()
		}
		return nil
	})
	return total
}

// Containers lists the keys of all container snapshots.
func (s *Snapshotter) Containers(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, "containers"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out, nil
}

// ContainerDirs returns the overlay dirs of the container snapshot key as
// Docker's overlay2 driver names them in inspect's GraphDriver.Data:
// LowerDir (top first, ':'-joined), UpperDir, WorkDir.
func (s *Snapshotter) ContainerDirs(key string) (map[string]string, error) {
	parent, err := s.containerParent(key)
	if err != nil {
		return nil, err
	}
	dir, _ := s.containerDir(key)
	lowers, err := s.lowers(dir, parent)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"LowerDir": strings.Join(lowers, ":"),
		"UpperDir": filepath.Join(dir, "upper"),
		"WorkDir":  filepath.Join(dir, "work"),
	}, nil
}

// LayerDirs returns the dirs of the layer chain top as Docker's overlay2
// driver names them for an image: UpperDir is the top layer's, LowerDir
// (when there are more) the others', top first. Layers are read-only
// snapshots here: they have no merged or work dir.
func (s *Snapshotter) LayerDirs(top digest.Digest) (map[string]string, error) {
	dirs, err := s.layerDirs(top)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if len(dirs) > 0 {
		out["UpperDir"] = dirs[0]
	}
	if len(dirs) > 1 {
		out["LowerDir"] = strings.Join(dirs[1:], ":")
	}
	return out, nil
}

// LayersUsage returns the directory holding the layer snapshots, and the
// disk space (allocated blocks) and inodes they take; hard links count
// once.
func (s *Snapshotter) LayersUsage() (dir string, bytes, inodes uint64, err error) {
	dir = filepath.Join(s.root, "snapshots")
	seen := map[uint64]bool{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walk
			}
			return err
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok || seen[st.Ino] {
			return nil
		}
		if st.Nlink > 1 {
			seen[st.Ino] = true
		}
		inodes++
		bytes += uint64(st.Blocks) * 512
		return nil
	})
	return dir, bytes, inodes, err
}
