package userns

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/sys/user"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/testutil"
)

func spec(namespaces ...specs.LinuxNamespace) *specs.Spec {
	return &specs.Spec{
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc"},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs"},
			{Destination: "/sys/fs/cgroup", Type: "cgroup"},
		},
		Linux: &specs.Linux{Namespaces: namespaces},
	}
}

func TestSpecOptsAddTheUserNamespaceAndItsMappings(t *testing.T) {
	r := &Remap{User: "u", Group: "g", IdentityMapping: user.IdentityMapping{
		UIDMaps: []user.IDMap{{ID: 0, ParentID: 100000, Count: 65536}},
		GIDMaps: []user.IDMap{{ID: 0, ParentID: 200000, Count: 65536}},
	}}
	s := spec(specs.LinuxNamespace{Type: specs.NetworkNamespace}, specs.LinuxNamespace{Type: specs.PIDNamespace})
	for _, o := range r.SpecOpts(t.TempDir()) {
		if err := o(s); err != nil {
			t.Fatal(err)
		}
	}
	if !containsNS(s, specs.UserNamespace, "") {
		t.Errorf("namespaces %v: no new user namespace", s.Linux.Namespaces)
	}
	want := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	if diff := cmp.Diff(want, s.Linux.UIDMappings); diff != "" {
		t.Errorf("uid mappings (-want +got):\n%s", diff)
	}
	// A network namespace of its own: the container mounts sysfs itself.
	if s.Mounts[1].Type != "sysfs" {
		t.Errorf("/sys = %+v, want the container's own sysfs", s.Mounts[1])
	}
}

func TestBindSysfsReplacesSysInPlace(t *testing.T) {
	s := spec()
	if err := bindSysfs(s, "/bundle/sys"); err != nil {
		t.Fatal(err)
	}
	want := []string{"/proc", "/sys", "/sys/fs/cgroup"}
	var got []string
	for _, m := range s.Mounts {
		got = append(got, m.Destination)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("mount order (-want +got):\n%s", diff)
	}
	if m := s.Mounts[1]; m.Type != "bind" || m.Source != "/bundle/sys" || !strings.Contains(strings.Join(m.Options, ","), "ro") {
		t.Errorf("/sys = %+v, want a read-only bind of /bundle/sys", m)
	}
}

func containsNS(s *specs.Spec, typ specs.LinuxNamespaceType, path string) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == typ && ns.Path == path {
			return true
		}
	}
	return false
}

func TestJoinPeerUsernsRefusesAPeerInTheHostsUserNamespace(t *testing.T) {
	// This process stands for a peer that runs with --userns host.
	self := "/proc/" + strconv.Itoa(os.Getpid()) + "/ns/"
	for _, typ := range []specs.LinuxNamespaceType{specs.IPCNamespace, specs.PIDNamespace} {
		s := spec(specs.LinuxNamespace{Type: specs.UserNamespace}, specs.LinuxNamespace{Type: typ, Path: self + string(typ)})
		if err := JoinPeerUserns(s); err == nil || !strings.Contains(err.Error(), "--userns host") {
			t.Errorf("%s of a host-userns peer: %v", typ, err)
		}
	}
	// No peer: nothing changes.
	s := spec(specs.LinuxNamespace{Type: specs.UserNamespace}, specs.LinuxNamespace{Type: specs.IPCNamespace})
	if err := JoinPeerUserns(s); err != nil || !containsNS(s, specs.UserNamespace, "") {
		t.Errorf("no peer: %v, %v", err, s.Linux.Namespaces)
	}
}

func TestGrantTraverseOpensClosedDirsToTheRemappedGroup(t *testing.T) {
	testutil.RequiresRoot(t)
	root := t.TempDir()
	if err := os.Chmod(root, 0o711); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := GrantTraverse(dir, root, 100000); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    string
		mode os.FileMode
		gid  uint32
	}{{dir, 0o710, 100000}, {filepath.Dir(dir), 0o710, 100000}, {root, 0o711, 0}} {
		fi, err := os.Stat(tc.p)
		if err != nil {
			t.Fatal(err)
		}
		if gid := fi.Sys().(*syscall.Stat_t).Gid; fi.Mode().Perm() != tc.mode || gid != tc.gid {
			t.Errorf("%s: %v group %d, want %v group %d", tc.p, fi.Mode().Perm(), gid, tc.mode, tc.gid)
		}
	}
}
