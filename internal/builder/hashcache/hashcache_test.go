package hashcache

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/tug-project/tug/internal/testutil"
)

// fixture is a context directory with files old enough not to be racy.
func fixture(t *testing.T, files map[string]string) (dir string, root *os.Root) {
	t.Helper()
	dir = t.TempDir()
	for name, body := range files {
		write(t, dir, name, body)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return dir, root
}

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lookup runs one "build": open at start, digest rels, close.
func lookup(t *testing.T, s *Store, dir string, root *os.Root, start time.Time, rels ...string) (map[string]digest.Digest, int, int) {
	t.Helper()
	c := s.open(dir, start)
	got := map[string]digest.Digest{}
	for _, rel := range rels {
		fi, err := root.Lstat(rel)
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Digest(root, rel, fi)
		if err != nil {
			t.Fatalf("Digest(%s) = %v", rel, err)
		}
		got[rel] = d
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	hits, misses := c.Stats()
	return got, hits, misses
}

func TestCache(t *testing.T) {
	dir, root := fixture(t, map[string]string{"a": "alpha", "sub/b": "beta"})
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Builds start well after the files were written (no racy entries).
	later := time.Now().Add(time.Hour)

	got, hits, misses := lookup(t, s, dir, root, later, "a", "sub/b")
	if hits != 0 || misses != 2 {
		t.Fatalf("first build: hits %d misses %d, want 0 2", hits, misses)
	}
	if got["a"] != digest.FromString("alpha") || got["sub/b"] != digest.FromString("beta") {
		t.Fatalf("digests = %v", got)
	}
	// Unchanged: no file is read, and the cache file is not rewritten.
	before, _ := os.Stat(s.path(dir))
	got, hits, misses = lookup(t, s, dir, root, later, "a", "sub/b")
	if hits != 2 || misses != 0 || got["a"] != digest.FromString("alpha") {
		t.Fatalf("unchanged rebuild: hits %d misses %d digests %v, want 2 0", hits, misses, got)
	}
	if after, _ := os.Stat(s.path(dir)); !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("unchanged rebuild rewrote the cache file")
	}

	// Content changed, size kept, mtime restored: the ctime still tells.
	fi, _ := os.Stat(filepath.Join(dir, "a"))
	// Rewritten until the ctime moves: within a tick of the kernel's
	// coarse clock it stays (the RacyWindow covers this case in real
	// builds).
	ctime := func() int64 {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(dir, "a"), &st); err != nil {
			t.Fatal(err)
		}
		return st.Ctim.Nano()
	}
	oldCtime := ctime()
	testutil.Eventually(t, 5*time.Second, func() bool {
		write(t, dir, "a", "ALPHA")
		if err := os.Chtimes(filepath.Join(dir, "a"), fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
		return ctime() != oldCtime
	})
	got, hits, misses = lookup(t, s, dir, root, later, "a", "sub/b")
	if hits != 1 || misses != 1 || got["a"] != digest.FromString("ALPHA") {
		t.Fatalf("after rewriting a: hits %d misses %d digests %v, want 1 1 and the new digest", hits, misses, got)
	}

	// Replaced by a new file (new inode) with the same content: re-read,
	// same digest.
	if err := os.Remove(filepath.Join(dir, "sub/b")); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "sub/b", "beta")
	got, _, misses = lookup(t, s, dir, root, later, "sub/b")
	if misses != 1 || got["sub/b"] != digest.FromString("beta") {
		t.Fatalf("after replacing sub/b: misses %d digest %v", misses, got["sub/b"])
	}

	// The cache persists across stores (a daemon restart).
	s2, err := NewStore(s.root)
	if err != nil {
		t.Fatal(err)
	}
	if _, hits, misses = lookup(t, s2, dir, root, later, "a", "sub/b"); hits != 2 || misses != 0 {
		t.Fatalf("after reopening: hits %d misses %d, want 2 0", hits, misses)
	}
}

// A file changed within RacyWindow of the build's start is not remembered:
// the next build reads it again.
func TestRacyFiles(t *testing.T) {
	dir, root := fixture(t, map[string]string{"a": "alpha"})
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := 0; i < 2; i++ {
		if _, hits, misses := lookup(t, s, dir, root, now, "a"); hits != 0 || misses != 1 {
			t.Fatalf("build %d: hits %d misses %d, want 0 1", i, hits, misses)
		}
	}
	if _, err := os.Stat(s.path(dir)); err == nil {
		t.Errorf("a cache file was written for racy entries only")
	}
}

// Entries are per context directory; a corrupt file is an empty cache.
func TestIsolationAndCorruption(t *testing.T) {
	dir1, root1 := fixture(t, map[string]string{"a": "one"})
	dir2, root2 := fixture(t, map[string]string{"a": "two"})
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	lookup(t, s, dir1, root1, later, "a")
	got, hits, _ := lookup(t, s, dir2, root2, later, "a")
	if hits != 0 || got["a"] != digest.FromString("two") {
		t.Fatalf("second context: hits %d digest %v", hits, got["a"])
	}
	if err := os.WriteFile(s.path(dir1), []byte(magic+dir1+"\ngarbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, hits, misses := lookup(t, s, dir1, root1, later, "a")
	if hits != 0 || misses != 1 || got["a"] != digest.FromString("one") {
		t.Fatalf("corrupt cache: hits %d misses %d digest %v", hits, misses, got["a"])
	}
	if _, hits, _ := lookup(t, s, dir1, root1, later, "a"); hits != 1 {
		t.Errorf("corrupt cache was not rewritten")
	}
}

// Unseen entries survive while their files are unchanged; entries of
// deleted files and cache files of deleted contexts go.
func TestPruning(t *testing.T) {
	dir, root := fixture(t, map[string]string{"a": "alpha", "b": "beta", "c": "gamma"})
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	lookup(t, s, dir, root, later, "a", "b", "c")
	if err := os.Remove(filepath.Join(dir, "c")); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "a", "changed") // makes the next build save
	lookup(t, s, dir, root, later, "a")
	c := s.open(dir, later)
	if _, ok := c.entries["b"]; !ok {
		t.Errorf("entry of unchanged, unseen b was dropped")
	}
	if _, ok := c.entries["c"]; ok {
		t.Errorf("entry of deleted c was kept")
	}

	gone := t.TempDir()
	s.open(gone, later).Close()
	c = s.open(gone, later)
	c.entries["x"], c.dirty = entry{}, true
	c.seen["x"] = true
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStore(s.root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.path(gone)); err == nil {
		t.Errorf("cache file of a deleted context survived NewStore")
	}
	if _, err := os.Stat(s.path(dir)); err != nil {
		t.Errorf("cache file of a live context: %v", err)
	}
	if err := s.Purge(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.path(dir)); err == nil {
		t.Errorf("Purge() left a cache file")
	}
}
