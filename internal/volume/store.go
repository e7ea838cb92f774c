package volume

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tug-project/tug/internal/atomicfile"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/stringid"
)

// AnonymousLabel marks a volume created for one container, as Docker
// (23+) does: `volume prune` without --all removes only those.
const AnonymousLabel = "com.docker.volume.anonymous"

const (
	metaFile    = "meta.json"
	dataDir     = "_data"
	tmpPrefix   = ".tmp-"
	trashPrefix = ".trash-"
)

// Volume is a local volume's metadata.
type Volume struct {
	Name      string
	Driver    string
	CreatedAt time.Time
	Labels    map[string]string
	Options   map[string]string
}

// Anonymous reports whether v was made for one container.
func (v Volume) Anonymous() bool {
	_, ok := v.Labels[AnonymousLabel]
	return ok
}

// Store is the local volumes under one directory.
type Store struct {
	root string

	mu     sync.Mutex
	vols   map[string]Volume
	refs   map[string]map[string]struct{} // volume -> containers that reference it
	active map[string]map[string]struct{} // volume with options -> containers that have it mounted
	owner  *[2]int                        // uid, gid of a new volume's data dir; nil: root
}

// Option configures a Store.
type Option func(*Store)

// WithDataOwner makes new volumes' data directories owned by uid:gid:
// the remapped root under userns-remap, as Docker does.
func WithDataOwner(uid, gid int) Option {
	return func(s *Store) { s.owner = &[2]int{uid, gid} }
}

// NewStore opens (creating) the store at root and drops what a crash left
// half-made or half-removed.
func NewStore(root string, opts ...Option) (*Store, error) {
	if err := os.MkdirAll(root, 0o701); err != nil {
		return nil, err
	}
	s := &Store{root: root, vols: map[string]Volume{}, refs: map[string]map[string]struct{}{}, active: map[string]map[string]struct{}{}}
	for _, o := range opts {
		o(s)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) || strings.HasPrefix(name, trashPrefix) {
			_ = mount.UnmountAll(filepath.Join(root, name, dataDir))
			_ = os.RemoveAll(filepath.Join(root, name))
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, name, metaFile))
		if err != nil {
			continue // not a volume of ours
		}
		var v Volume
		if err := json.Unmarshal(b, &v); err != nil || v.Name != name {
			continue
		}
		s.vols[name] = v
	}
	return s, nil
}

// Path is where volume name's data is.
func (s *Store) Path(name string) string { return filepath.Join(s.root, name, dataDir) }

func noSuchVolume(name string) error {
	return errdefs.NotFound("get %s: no such volume", name)
}

// CreateOptions are a new volume's driver, options and labels.
type CreateOptions struct {
	Driver  string
	Options map[string]string
	Labels  map[string]string
}

// Create makes volume name (a random name when ""), or returns the
// existing one of that name; created says which.
func (s *Store) Create(name string, o CreateOptions) (v Volume, created bool, err error) {
	if name == "" {
		name = stringid.New()
	}
	if err := ValidateName(name); err != nil {
		return Volume{}, false, err
	}
	if err := ValidateDriver(o.Driver); err != nil {
		return Volume{}, false, err
	}
	if err := ValidateOptions(o.Options); err != nil {
		return Volume{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.vols[name]; ok {
		return v, false, nil
	}
	v = Volume{Name: name, Driver: DefaultDriver, CreatedAt: time.Now().UTC().Truncate(time.Second),
		Labels: maps.Clone(o.Labels), Options: maps.Clone(o.Options)}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	if v.Options == nil {
		v.Options = map[string]string{}
	}
	tmp, err := os.MkdirTemp(s.root, tmpPrefix)
	if err != nil {
		return Volume{}, false, err
	}
	fail := func(err error) (Volume, bool, error) {
		_ = os.RemoveAll(tmp)
		return Volume{}, false, err
	}
	if err := os.Chmod(tmp, 0o701); err != nil {
		return fail(err)
	}
	if err := os.Mkdir(filepath.Join(tmp, dataDir), 0o755); err != nil {
		return fail(err)
	}
	if s.owner != nil {
		if err := os.Chown(filepath.Join(tmp, dataDir), s.owner[0], s.owner[1]); err != nil {
			return fail(err)
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fail(err)
	}
	if err := atomicfile.Write(filepath.Join(tmp, metaFile), b, 0o600); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.root, name)); err != nil {
		return fail(err)
	}
	if err := syncDir(s.root); err != nil {
		return Volume{}, false, err
	}
	s.vols[name] = v
	return v, true, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Get returns volume name.
func (s *Store) Get(name string) (Volume, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vols[name]
	if !ok {
		return Volume{}, noSuchVolume(name)
	}
	return v, nil
}

// List returns every volume, by name.
func (s *Store) List() []Volume {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Collect(maps.Values(s.vols))
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Ref records that container id uses volume name.
func (s *Store) Ref(name, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.vols[name]; !ok {
		return noSuchVolume(name)
	}
	if s.refs[name] == nil {
		s.refs[name] = map[string]struct{}{}
	}
	s.refs[name][id] = struct{}{}
	return nil
}

// Unref forgets that container id uses volume name.
func (s *Store) Unref(name, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refs[name], id)
	if len(s.refs[name]) == 0 {
		delete(s.refs, name)
	}
}

// Users returns the containers that reference volume name, sorted.
func (s *Store) Users(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.refs[name]))
}

// Remove deletes volume name and its data, unless a container uses it
// (Docker's conflict text). A missing volume is an error unless force.
func (s *Store) Remove(name string, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.vols[name]; !ok {
		if force {
			return nil
		}
		return noSuchVolume(name)
	}
	if users := s.refs[name]; len(users) > 0 {
		return errdefs.Conflict("remove %s: volume is in use - [%s]", name, strings.Join(slices.Sorted(maps.Keys(users)), ", "))
	}
	dir := filepath.Join(s.root, name)
	if err := mount.UnmountAll(filepath.Join(dir, dataDir)); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	trash := filepath.Join(s.root, trashPrefix+stringid.New()[:12])
	if err := os.Rename(dir, trash); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	delete(s.vols, name)
	_ = syncDir(s.root)
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("remove %s: %w", name, err) // the next start finishes it
	}
	return nil
}

// Mount makes volume name's data ready for container id and returns its
// host path: a volume with options has its device mounted there while
// any container has it mounted.
func (s *Store) Mount(name, id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vols[name]
	if !ok {
		return "", noSuchVolume(name)
	}
	p := s.Path(name)
	if len(v.Options) > 0 && len(s.active[name]) == 0 {
		mounted, err := mount.IsMountpoint(p)
		if err != nil {
			return "", err
		}
		if !mounted {
			var opts []string
			if o := v.Options["o"]; o != "" {
				opts = strings.Split(o, ",")
			}
			m := mount.Mount{Type: v.Options["type"], Source: v.Options["device"], Options: opts}
			if err := mount.All([]mount.Mount{m}, p); err != nil {
				return "", errdefs.InvalidParameter("error while mounting volume '%s': %v", p, err)
			}
		}
	}
	if s.active[name] == nil {
		s.active[name] = map[string]struct{}{}
	}
	s.active[name][id] = struct{}{}
	return p, nil
}

// Unmount releases container id's use of volume name's mount; the last
// user's release unmounts a volume with options.
func (s *Store) Unmount(name, id string) (wasMounted bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, wasMounted = s.active[name][id]
	delete(s.active[name], id)
	v, ok := s.vols[name]
	if !ok || len(v.Options) == 0 || len(s.active[name]) > 0 {
		return wasMounted, nil
	}
	delete(s.active, name)
	return wasMounted, mount.UnmountAll(s.Path(name))
}

// Size is the disk usage of volume name's data in bytes (-1 when unknown).
func (s *Store) Size(name string) int64 {
	var size int64
	err := filepath.WalkDir(s.Path(name), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return -1
	}
	return size
}
