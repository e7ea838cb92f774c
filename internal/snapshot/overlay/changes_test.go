package overlay

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/testutil"
)

func TestChanges(t *testing.T) {
	testutil.RequiresRoot(t) // whiteouts are character devices
	lower, upper := t.TempDir(), t.TempDir()
	mk := func(root, rel string, dir bool) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if dir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return
		}
		if err := os.WriteFile(p, []byte(rel), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"etc/passwd", "etc/group", "tmp/y", "same/a"} {
		mk(lower, f, false)
	}
	mk(upper, "etc/passwd", false) // modified
	mk(upper, "etc/x", false)      // added
	mk(upper, "new/dir/f", false)  // added, with new parents
	mk(upper, "same", true)        // copied up unchanged
	mk(upper, "same/b", false)
	mk(upper, "tmp", true)
	if err := unix.Mknod(filepath.Join(upper, "tmp/y"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	// The unchanged directory keeps the lower one's metadata.
	st, _ := os.Stat(filepath.Join(lower, "same"))
	_ = os.Chtimes(filepath.Join(upper, "same"), time.Now(), st.ModTime())
	lst, _ := os.Stat(filepath.Join(lower, "same"))
	ust, _ := os.Stat(filepath.Join(upper, "same"))
	if lst.Size() != ust.Size() {
		t.Skip("directory sizes differ between the two temp dirs")
	}

	got, err := changes(context.Background(), upper, []string{lower})
	if err != nil {
		t.Fatalf("changes() = %v", err)
	}
	want := []Change{
		{ChangeModify, "/etc"},
		{ChangeModify, "/etc/passwd"},
		{ChangeAdd, "/etc/x"},
		{ChangeAdd, "/new"},
		{ChangeAdd, "/new/dir"},
		{ChangeAdd, "/new/dir/f"},
		{ChangeModify, "/same"},
		{ChangeAdd, "/same/b"},
		{ChangeModify, "/tmp"},
		{ChangeDelete, "/tmp/y"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("changes() diff (-want +got):\n%s", d)
	}
}

func TestHideMountpointsDropsRuntimeMountpointsOfLegacySnapshots(t *testing.T) {
	mounts := []string{"/etc/hosts", "/etc/hostname", "/proc"}
	tests := []struct {
		name     string
		in, want []Change
	}{
		{"only mountpoints", []Change{{ChangeModify, "/etc"}, {ChangeAdd, "/etc/hostname"}, {ChangeAdd, "/etc/hosts"}, {ChangeAdd, "/proc"}}, nil},
		{"with a real change", []Change{{ChangeModify, "/etc"}, {ChangeAdd, "/etc/hosts"}, {ChangeAdd, "/etc/x"}}, []Change{{ChangeModify, "/etc"}, {ChangeAdd, "/etc/x"}}},
		{"modified mountpoint file kept", []Change{{ChangeModify, "/etc"}, {ChangeModify, "/etc/hosts"}}, []Change{{ChangeModify, "/etc"}, {ChangeModify, "/etc/hosts"}}},
		{"other parents kept", []Change{{ChangeModify, "/usr"}}, []Change{{ChangeModify, "/usr"}}},
	}
	for _, tc := range tests {
		if d := cmp.Diff(tc.want, hideMountpoints(tc.in, mounts), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: hideMountpoints() diff (-want +got):\n%s", tc.name, d)
		}
	}
}
