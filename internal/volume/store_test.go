package volume

import "testing"

func TestUnmountSaysWhetherTheContainerHadTheVolumeMounted(t *testing.T) {
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Create("data", CreateOptions{}); err != nil {
		t.Fatalf("Create() = %v", err)
	}
	if was, err := s.Unmount("data", "c1"); was || err != nil {
		t.Fatalf("Unmount() before any Mount() = %v, %v; want false, nil", was, err)
	}
	if _, err := s.Mount("data", "c1"); err != nil {
		t.Fatalf("Mount() = %v", err)
	}
	if was, err := s.Unmount("data", "c1"); !was || err != nil {
		t.Fatalf("Unmount() after Mount() = %v, %v; want true, nil", was, err)
	}
	if was, _ := s.Unmount("data", "c1"); was {
		t.Fatal("a second Unmount() = true, want false")
	}
}
