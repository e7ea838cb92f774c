package bridge

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/testutil"
)

// nsInode is the inode of the network namespace f holds.
func nsInode(t *testing.T, f *os.File) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// loopbackUp reports whether the loopback of the namespace f holds is up.
func loopbackUp(t *testing.T, f *os.File) bool {
	t.Helper()
	h, err := netlink.NewHandleAt(netns.NsHandle(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lo, err := h.LinkByIndex(1)
	if err != nil {
		t.Fatal(err)
	}
	return lo.Attrs().Flags&net.FlagUp != 0
}

func TestNetNSPoolHandsOutFreshNamespacesWithLoopbackUp(t *testing.T) {
	testutil.RequiresRoot(t)
	host, err := os.Open("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	p := NewNetNSPool(2)
	defer p.Close()
	seen := map[uint64]bool{nsInode(t, host): true}
	// More than the pool holds: the rest are made on the spot.
	for i := range 4 {
		f, err := p.Take()
		if err != nil {
			t.Fatalf("Take() #%d = %v", i, err)
		}
		defer f.Close()
		ino := nsInode(t, f)
		if seen[ino] {
			t.Errorf("Take() #%d gave a namespace given before (or the host's)", i)
		}
		seen[ino] = true
		if !loopbackUp(t, f) {
			t.Errorf("Take() #%d: loopback is down", i)
		}
	}
}

func TestNetNSPoolStillMakesNamespacesOnceClosed(t *testing.T) {
	testutil.RequiresRoot(t)
	p := NewNetNSPool(1)
	p.Close()
	f, err := p.Take()
	if err != nil {
		t.Fatalf("Take() after Close = %v", err)
	}
	defer f.Close()
	if !loopbackUp(t, f) {
		t.Error("loopback is down")
	}
}

func TestMountNetNSKeepsTheNamespaceAfterItsFileIsClosed(t *testing.T) {
	testutil.RequiresRoot(t)
	p := NewNetNSPool(1)
	defer p.Close()
	f, err := p.Take()
	if err != nil {
		t.Fatal(err)
	}
	want := nsInode(t, f)
	path := filepath.Join(t.TempDir(), "ns")
	if err := MountNetNS(f, path); err != nil {
		t.Fatalf("MountNetNS() = %v", err)
	}
	defer func() { _ = DeleteNetNS(path) }()
	f.Close()
	g, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if got := nsInode(t, g); got != want {
		t.Errorf("namespace at %s has inode %d, want %d (the pool's)", path, got, want)
	}
	if err := MountNetNS(g, path); err == nil {
		t.Error("MountNetNS() over an existing file succeeded, want an error")
	}
}
