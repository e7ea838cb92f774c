package container

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/errdefs"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"web", true}, {"a1", true}, {"my_app.v2-x", true}, {"/web", true},
		{"a", false}, {"-web", false}, {"_x", false}, {"we b", false}, {"", false}, {"x/y", false},
	}
	for _, tt := range tests {
		if got := ValidName(tt.name); got != tt.ok {
			t.Errorf("ValidName(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

func TestStoreLookupAndPersistence(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	a := New("aaaa1111"+zeros(56), "alpha", time.Now())
	b := New("aaaa2222"+zeros(56), "beta", time.Now())
	for _, c := range []*Container{a, b} {
		if err := s.Add(c); err != nil {
			t.Fatalf("Add(%s) = %v", c.Name, err)
		}
	}
	dup := New("bbbb"+zeros(60), "alpha", time.Now())
	if err := s.Add(dup); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("Add(duplicate name) = %v, want conflict", err)
	}
	tests := []struct {
		ref   string
		want  *Container
		class error
	}{
		{a.ID, a, nil}, {"alpha", a, nil}, {"/beta", b, nil}, {"aaaa1", a, nil},
		{"aaaa", nil, errdefs.ErrInvalidParameter}, {"nosuch", nil, errdefs.ErrNotFound}, {"", nil, errdefs.ErrNotFound},
	}
	for _, tt := range tests {
		got, err := s.Get(tt.ref)
		if tt.class != nil {
			if !errors.Is(err, tt.class) {
				t.Errorf("Get(%q) error = %v, want class %v", tt.ref, err, tt.class)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Get(%q) = %v, %v; want %s", tt.ref, got, err, tt.want.Name)
		}
	}
	if _, err := s.Get("nosuch"); err == nil || err.Error() != "No such container: nosuch" {
		t.Errorf("Get(nosuch) error text = %v", err)
	}
	if err := s.Rename(b, "gamma"); err != nil {
		t.Fatal(err)
	}
	a.Lock()
	a.SetRunning(42, time.Now())
	_ = s.SaveUnsynced(a) // the states of a start are saved without fsync, read back alike
	a.Unlock()

	s2, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Get("gamma")
	if err != nil || got.ID != b.ID {
		t.Fatalf("after reload Get(gamma) = %v, %v", got, err)
	}
	if _, err := s2.Get("beta"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("old name still resolves after rename: %v", err)
	}
	ga, _ := s2.Get("alpha")
	if !ga.State.Running || ga.State.Pid != 42 {
		t.Errorf("reloaded state = %+v, want running pid 42", ga.State)
	}
	if err := s2.Remove(ga); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ga.Removed():
	default:
		t.Errorf("Removed() not closed after Remove")
	}
	s3, _ := NewStore(root)
	if len(s3.List()) != 1 {
		t.Errorf("after Remove, reload has %d containers, want 1", len(s3.List()))
	}
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}

// TestHiddenContainerIsRemovedButKeepsItsFiles: Hide frees the name and
// ends waits for removal at once; the files stay until Remove, and a store
// opened before the Remove (a daemon restart) still finds the container.
func TestHiddenContainerIsRemovedButKeepsItsFiles(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	c := New("cccc"+zeros(60), "gone", time.Now())
	if err := s.Add(c); err != nil {
		t.Fatal(err)
	}
	c.Lock()
	c.SetRemoving()
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	c.Unlock()
	s.Hide(c)
	select {
	case <-c.Removed():
	default:
		t.Error("Removed() not closed after Hide")
	}
	if _, err := s.Get("gone"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Get(gone) after Hide = %v, want not found", err)
	}
	if s.NameTaken("gone") {
		t.Error("the name is still taken after Hide")
	}
	s2, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	left, err := s2.Get(c.ID)
	if err != nil || left.State.Status != "removing" {
		t.Fatalf("reopened store: Get = %v, %v; want the container, removing", left, err)
	}
	if err := s.Remove(c); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir(c.ID)); !os.IsNotExist(err) {
		t.Errorf("files after Remove: %v", err)
	}
}

// Unsynced and durable saves alternate on one container: each is read
// back by the next daemon, and the container's directory keeps one
// config (the link and the file of the latest unsynced state, or the
// durable file).
func TestUnsyncedAndDurableSavesLeaveOneConfig(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	c := New("cccc"+zeros(60), "alt", time.Now())
	if err := s.Add(c); err != nil {
		t.Fatal(err)
	}
	files := func() []string {
		ents, _ := os.ReadDir(s.Dir(c.ID))
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	}
	for i, step := range []struct {
		durable bool
		count   int
	}{{false, 1}, {false, 2}, {true, 3}, {false, 4}, {true, 5}} {
		c.Lock()
		c.RestartCount = step.count
		save := s.SaveUnsynced
		if step.durable {
			save = s.Save
		}
		if err := save(c); err != nil {
			t.Fatal(err)
		}
		c.Unlock()
		want := 2 // config.v2.json (the link) and config.v2.json.N
		if step.durable {
			want = 1
		}
		if got := files(); len(got) != want {
			t.Errorf("step %d: files %v, want %d", i, got, want)
		}
		s2, err := NewStore(root)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s2.Get("alt"); err != nil || got.RestartCount != step.count {
			t.Errorf("step %d: read back %+v, %v; want RestartCount %d", i, got, err, step.count)
		}
	}
}

// Generated names are held from their choice until the container is
// added: concurrent creates never pick the same one, a held name is not a
// container, and a create that fails gives its name back.
func TestReservedNamesAreHeldUntilAddedOrReleased(t *testing.T) {
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := 0; i < 3000; i++ {
		name := s.ReserveName(fmt.Sprintf("%064d", i))
		if seen[name] {
			t.Fatalf("ReserveName gave %q twice", name)
		}
		seen[name] = true
	}
	id := "dddd" + zeros(60)
	name := s.ReserveName(id)
	if !s.NameTaken(name) {
		t.Errorf("a reserved name is not taken")
	}
	if c, err := s.Get(name); err == nil || c != nil {
		t.Errorf("Get(reserved name) = %v, %v; want not found", c, err)
	}
	if err := s.Add(New("eeee"+zeros(60), name, time.Now())); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("Add of another container with a reserved name = %v, want a conflict", err)
	}
	if err := s.Add(New(id, name, time.Now())); err != nil {
		t.Fatalf("Add with the name reserved for it = %v", err)
	}
	s.ReleaseName(name, id) // after Add: a no-op
	if c, err := s.Get(name); err != nil || c.ID != id {
		t.Errorf("Get(%s) after Add = %v, %v", name, c, err)
	}
	other := s.ReserveName("ffff" + zeros(60))
	s.ReleaseName(other, "ffff"+zeros(60))
	if s.NameTaken(other) {
		t.Errorf("a released name is still taken")
	}
}
