package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// Each write of a Linked file is read whole through its path, and only
// the current content's file is left next to it (stale ones that a killed
// process left included).
func TestLinkedWriteReplacesTheContentAndLeavesOneFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	if err := os.WriteFile(p+".12", []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("a regular file from before"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := NewLinked(p)
	for _, want := range []string{"one", "two", "three"} {
		if err := l.Write([]byte(want), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(p); err != nil || string(got) != want {
			t.Fatalf("ReadFile() = %q, %v; want %q", got, err, want)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 2 { // the link and its file
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("files after writing %q: %v, want the link and one file", want, names)
		}
	}
	// A second writer (the next process) takes over.
	if err := NewLinked(p).Write([]byte("four"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "four" {
		t.Errorf("ReadFile() = %q, want four", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("files after a second writer: %d, want 2", len(ents))
	}
}
