package container

import (
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/tug-project/tug/internal/atomicfile"
	"github.com/tug-project/tug/internal/errdefs"
)

const configFile = "config.v2.json"

// Store keeps containers in memory and on disk, one directory per
// container under root, its config written atomically.
type Store struct {
	root string

	mu     sync.RWMutex
	byID   map[string]*Container
	byName map[string]string // name -> ID
}

// NewStore loads every container found under root.
func NewStore(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o710); err != nil {
		return nil, err
	}
	s := &Store{root: root, byID: map[string]*Container{}, byName: map[string]string{}}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, e.Name(), configFile))
		if err != nil || unwritten(b) {
			// A directory without a config is a create that never
			// finished; an empty config, or one of NULs, is an unsynced
			// one (AddUnsynced) that a machine crash cut short.
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
			continue
		}
		c := &Container{}
		if err := json.Unmarshal(b, c); err != nil {
			// Left as it is, for a human to look at, as Docker does.
			slog.Error("container not loaded: its config is unreadable", "id", e.Name(), "err", err)
			continue
		}
		c.init()
		s.byID[c.ID] = c
		s.byName[c.Name] = c.ID
	}
	return s, nil
}

// Dir is the directory holding a container's files.
func (s *Store) Dir(id string) string { return filepath.Join(s.root, id) }

// unwritten reports whether a config file's content is what a machine
// crash leaves of a file written without fsync: nothing, or NULs.
func unwritten(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Add reserves c's name (or takes the one ReserveName held for it) and
// persists c. A taken name is a conflict with Docker's text.
func (s *Store) Add(c *Container) error {
	return s.add(c, true)
}

// AddUnsynced is Add without the fsyncs, for a container a machine crash
// ends anyway (a --rm one, see SaveUnsynced): ~1 ms of its create here. A
// crash may lose it or leave its config empty; the next NewStore then
// removes what is left of it.
func (s *Store) AddUnsynced(c *Container) error {
	return s.add(c, false)
}

func (s *Store) add(c *Container, durable bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byName[c.Name]; ok && (id != c.ID || s.byID[id] != nil) {
		return errdefs.Conflict("Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to remove (or rename) that container to be able to reuse that name.", c.Name, id)
	}
	if err := os.MkdirAll(s.Dir(c.ID), 0o710); err != nil {
		return err
	}
	save := s.save
	if !durable {
		save = s.saveNew
	}
	if err := save(c); err != nil {
		_ = os.RemoveAll(s.Dir(c.ID))
		return err
	}
	s.byID[c.ID] = c
	s.byName[c.Name] = c.ID
	return nil
}

// ReserveName picks a free generated name (RandomName, with a digit after
// a collision, as Docker does) and holds it for the container id until Add
// takes it or ReleaseName drops it.
func (s *Store) ReserveName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; ; i++ {
		name := RandomName(i)
		if _, taken := s.byName[name]; !taken {
			s.byName[name] = id
			return name
		}
	}
}

// ReleaseName drops the hold ReserveName put on name for id, unless a
// container was added with it.
func (s *Store) ReleaseName(name, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byName[name] == id && s.byID[id] == nil {
		delete(s.byName, name)
	}
}

// NameTaken reports whether a container already has name.
func (s *Store) NameTaken(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.byName[name]
	return ok
}

// Save persists c; call with c's lock held.
func (s *Store) Save(c *Container) error {
	return s.save(c)
}

// SaveUnsynced persists c like Save without the fsyncs, for the states a
// machine crash ends anyway: those of a start (the shim spawned, the
// process running) and a --rm container's removal after its exit
// (autoremove.go). Readers and a daemon that restarts after a crash of its
// own see the old or the new state, never a mix; a machine crash, which
// ends every container, may lose it, and the next daemon finds the
// container ended (and removes a --rm one) either way. Two fsyncs less on
// the path of a start and of a `run --rm` (about 0.5–2 ms each here). The
// config file becomes a symbolic link to the file of the latest state
// (atomicfile.Linked): a file renamed over another makes ext4 start its
// writeback (auto_da_alloc), ~0.45 ms of each save here.
func (s *Store) SaveUnsynced(c *Container) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if c.cfgFile == nil {
		c.cfgFile = atomicfile.NewLinked(filepath.Join(s.Dir(c.ID), configFile))
	}
	return c.cfgFile.Write(b, 0o600)
}

// saveNew writes the config of a container AddUnsynced adds.
func (s *Store) saveNew(c *Container) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return atomicfile.Replace(filepath.Join(s.Dir(c.ID), configFile), b, 0o600)
}

func (s *Store) save(c *Container) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(s.Dir(c.ID), configFile), b, 0o600); err != nil {
		return err
	}
	if c.cfgFile != nil { // the link is replaced: its file goes
		c.cfgFile.Release()
		c.cfgFile = nil
	}
	return nil
}

// Get finds a container by full ID, name, or unique ID prefix, in Docker's
// order.
func (s *Store) Get(ref string) (*Container, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ref == "" {
		return nil, errdefs.NotFound("No such container: %s", ref)
	}
	if c, ok := s.byID[ref]; ok {
		return c, nil
	}
	if id, ok := s.byName[strings.TrimPrefix(ref, "/")]; ok && s.byID[id] != nil { // not a name held by ReserveName
		return s.byID[id], nil
	}
	var found *Container
	for id, c := range s.byID {
		if strings.HasPrefix(id, ref) {
			if found != nil {
				return nil, errdefs.InvalidParameter("multiple IDs found with provided prefix: %s", ref)
			}
			found = c
		}
	}
	if found == nil {
		return nil, errdefs.NotFound("No such container: %s", ref)
	}
	return found, nil
}

// List returns all containers, newest first.
func (s *Store) List() []*Container {
	s.mu.RLock()
	all := make([]*Container, 0, len(s.byID))
	for _, c := range s.byID {
		all = append(all, c)
	}
	s.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Created.After(all[j].Created) })
	return all
}

// Rename gives c a new name; call with c's lock held.
func (s *Store) Rename(c *Container, newName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byName[newName]; ok {
		return errdefs.Conflict("Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to remove (or rename) that container to be able to reuse that name.", newName, id)
	}
	old := c.Name
	c.Name = newName
	if err := s.save(c); err != nil {
		c.Name = old
		return err
	}
	delete(s.byName, old)
	s.byName[newName] = c.ID
	return nil
}

// Hide takes c out of the store's indexes and announces its removal
// (waiters for "removed" return, its name is free again) while its files
// stay for Remove to delete later. Save c as removing first: a daemon that
// stops before the Remove finds it at its next start and finishes it.
func (s *Store) Hide(c *Container) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, c.ID)
	if s.byName[c.Name] == c.ID {
		delete(s.byName, c.Name)
	}
	c.MarkRemoved()
}

// Remove deletes c from memory and disk.
func (s *Store) Remove(c *Container) error {
	s.mu.Lock()
	// Remove the config first so a crash mid-way leaves a directory the
	// next start sweeps up, never a half-removed container.
	if err := os.Remove(filepath.Join(s.Dir(c.ID), configFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.mu.Unlock()
		return err
	}
	delete(s.byID, c.ID)
	if s.byName[c.Name] == c.ID {
		delete(s.byName, c.Name)
	}
	c.MarkRemoved()
	s.mu.Unlock()
	// The rest of the directory goes without the lock: no lookup or
	// create waits for it, and no other container ever has its path.
	return os.RemoveAll(s.Dir(c.ID))
}
