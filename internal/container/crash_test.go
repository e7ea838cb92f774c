package container

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A --rm container is added without fsyncs (AddUnsynced): the next store
// reads it back like any other. What a machine crash can leave of such a
// config (an empty file, one of NULs) is a create that never finished,
// removed like a directory without a config; a config that is unreadable
// otherwise is left alone and the rest of the store loads.
func TestStoreLoadsAroundConfigsACrashLeft(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	c := New("dddd"+zeros(60), "rm", time.Now())
	if err := s.AddUnsynced(c); err != nil {
		t.Fatal(err)
	}
	write := func(id, content string) string {
		dir := filepath.Join(root, id)
		if err := os.MkdirAll(dir, 0o710); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, configFile), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	empty := write("eeee"+zeros(60), "")
	nuls := write("ffff"+zeros(60), "\x00\x00\x00\x00")
	torn := write("aaaa"+zeros(60), `{"ID":"aaaa`)

	s2, err := NewStore(root)
	if err != nil {
		t.Fatalf("NewStore() = %v, want the store loaded around the bad configs", err)
	}
	if got, err := s2.Get("rm"); err != nil || got.ID != c.ID {
		t.Errorf("Get(rm) = %v, %v; want the container AddUnsynced added", got, err)
	}
	for _, dir := range []string{empty, nuls} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want it removed", filepath.Base(dir), err)
		}
	}
	if _, err := os.Stat(torn); err != nil {
		t.Errorf("the unreadable config's dir: %v, want it kept", err)
	}
	if n := len(s2.List()); n != 1 {
		t.Errorf("List() has %d containers, want 1", n)
	}
}
