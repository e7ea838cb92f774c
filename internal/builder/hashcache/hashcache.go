package hashcache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencontainers/go-digest"
)

// magic starts every cache file; the context directory follows on the
// second line, then the gob-encoded entries. A file that does not parse is
// treated as empty: the cache only ever saves work.
const magic = "tug-hashcache v1\n"

// RacyWindow: a file whose mtime or ctime is this close to (or after) the
// moment its build started is hashed but not remembered. Timestamps come
// from a coarse clock (and are whole seconds on some filesystems), so a
// file written again right after it was hashed could keep its stat data;
// such "racily clean" files are re-read on the next build (git's index has
// the same rule).
const RacyWindow = 2 * time.Second

// Store keeps one cache file per context directory under its root.
type Store struct {
	root string
}

// NewStore opens (creating it if needed) the store at root and removes the
// cache files of context directories that no longer exist.
func NewStore(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	s := &Store{root: root}
	s.gc()
	return s, nil
}

func (s *Store) path(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(s.root, hex.EncodeToString(sum[:]))
}

// gc removes cache files whose context directory is gone, and temp files
// of saves a crash interrupted.
func (s *Store) gc() {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(s.root, e.Name())
		if strings.HasPrefix(e.Name(), ".tmp-") {
			_ = os.Remove(p)
			continue
		}
		dir, err := readDir(p)
		if err != nil {
			_ = os.Remove(p)
			continue
		}
		if fi, err := os.Stat(dir); err != nil && errors.Is(err, fs.ErrNotExist) || err == nil && !fi.IsDir() {
			_ = os.Remove(p)
		}
	}
}

// readDir returns the context directory a cache file is for.
func readDir(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != magic {
		return "", errors.New("not a hash cache file")
	}
	dir, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(dir, "\n"), nil
}

// Purge removes every cache file.
func (s *Store) Purge() error {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if err := os.Remove(filepath.Join(s.root, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Stamp is the stat data an entry is valid for.
type Stamp struct {
	Dev, Ino     uint64
	Size         int64
	Mode         uint32
	Mtime, Ctime int64 // nanoseconds since the epoch
}

// StampOf returns fi's stamp; false if fi carries no stat data.
func StampOf(fi fs.FileInfo) (Stamp, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return Stamp{}, false
	}
	return Stamp{
		Dev: uint64(st.Dev), Ino: st.Ino, Size: st.Size, Mode: st.Mode,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(),
	}, true
}

type entry struct {
	Stamp  Stamp
	Digest digest.Digest
}

// Cache is the open cache of one context directory, for one build. It is
// safe for concurrent use (stages of a build run in parallel).
type Cache struct {
	store   *Store
	dir     string
	start   time.Time
	mu      sync.Mutex
	entries map[string]entry
	seen    map[string]bool
	dirty   bool
	hits    int
	misses  int
}

// Open returns the cache of the context directory dir (absolute, clean);
// an unreadable or corrupt cache file gives an empty cache.
func (s *Store) Open(dir string) *Cache {
	return s.open(dir, time.Now())
}

func (s *Store) open(dir string, start time.Time) *Cache {
	c := &Cache{store: s, dir: dir, start: start, entries: map[string]entry{}, seen: map[string]bool{}}
	b, err := os.ReadFile(s.path(dir))
	if err != nil {
		return c
	}
	rest, ok := bytes.CutPrefix(b, []byte(magic))
	if !ok {
		return c
	}
	d, rest, ok := bytes.Cut(rest, []byte("\n"))
	if !ok || string(d) != dir {
		return c // another directory with the same hash: not ours
	}
	var entries map[string]entry
	if err := gob.NewDecoder(bytes.NewReader(rest)).Decode(&entries); err == nil && entries != nil {
		c.entries = entries
	}
	return c
}

// Digest returns the digest of the content of the regular file rel
// (slash-separated, relative to root, which is the context directory), fi
// being its Lstat info taken before this call. It reads the file only when
// the cache has no entry with fi's stamp.
func (c *Cache) Digest(root *os.Root, rel string, fi fs.FileInfo) (digest.Digest, error) {
	stamp, ok := StampOf(fi)
	if ok {
		c.mu.Lock()
		c.seen[rel] = true
		e, found := c.entries[rel]
		c.mu.Unlock()
		if found && e.Stamp == stamp {
			c.mu.Lock()
			c.hits++
			c.mu.Unlock()
			return e.Digest, nil
		}
	}
	d, err := digestFile(root, rel)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.misses++
	_, had := c.entries[rel]
	switch {
	case ok && !c.racy(stamp):
		c.entries[rel] = entry{Stamp: stamp, Digest: d}
		c.dirty = true
	case had:
		delete(c.entries, rel)
		c.dirty = true
	}
	return d, nil
}

func (c *Cache) racy(s Stamp) bool {
	limit := c.start.Add(-RacyWindow).UnixNano()
	return s.Mtime >= limit || s.Ctime >= limit
}

func digestFile(root *os.Root, rel string) (digest.Digest, error) {
	f, err := root.Open(rel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return digest.SHA256.FromReader(f)
}

// Stats returns how many lookups hit and missed.
func (c *Cache) Stats() (hits, misses int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// Close saves the cache if this build changed it. Entries of files the
// build did not look at are kept while their file still has the same
// stamp (another Dockerfile may copy them), and dropped otherwise.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty || strings.ContainsRune(c.dir, '\n') {
		return nil
	}
	for rel, e := range c.entries {
		if c.seen[rel] {
			continue
		}
		fi, err := os.Lstat(filepath.Join(c.dir, filepath.FromSlash(rel)))
		if err != nil {
			delete(c.entries, rel)
			continue
		}
		if s, ok := StampOf(fi); !ok || s != e.Stamp {
			delete(c.entries, rel)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(magic)
	buf.WriteString(c.dir + "\n")
	if err := gob.NewEncoder(&buf).Encode(c.entries); err != nil {
		return err
	}
	// Atomic replace; no fsync: a file torn by a crash does not parse and
	// counts as empty.
	tmp, err := os.CreateTemp(c.store.root, ".tmp-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(buf.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.store.path(c.dir))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("saving the context hash cache: %w", err)
	}
	c.dirty = false
	return nil
}
