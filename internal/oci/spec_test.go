package oci

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/errdefs"
)

func rootfs(t *testing.T) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000:tester:/home/tester:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "etc/group"), []byte("root:x:0:\ntester:x:1000:\nstaff:x:50:tester\nvideo:x:44:tester,root\n"), 0o644)
	return dir
}

func TestNewDefaults(t *testing.T) {
	s, err := New(WithRootfs("/r"), WithArgs([]string{"true"}))
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if diff := cmp.Diff(DefaultCapabilities, s.Process.Capabilities.Bounding); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
	if len(s.Process.Capabilities.Inheritable) != 0 || s.Process.NoNewPrivileges {
		t.Errorf("inheritable %v, no_new_privs %v; want none, false", s.Process.Capabilities.Inheritable, s.Process.NoNewPrivileges)
	}
	var ns []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		ns = append(ns, n.Type)
	}
	for _, want := range []specs.LinuxNamespaceType{"pid", "ipc", "uts", "mount", "network"} {
		if !slices.Contains(ns, want) {
			t.Errorf("namespaces %v lack %s", ns, want)
		}
	}
	if slices.Contains(ns, specs.CgroupNamespace) != isCgroup2() {
		t.Errorf("cgroup namespace %v on cgroup2=%v", ns, isCgroup2())
	}
	var dsts []string
	for _, m := range s.Mounts {
		dsts = append(dsts, m.Destination)
	}
	if diff := cmp.Diff([]string{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"}, dsts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	if !slices.Contains(s.Mounts[6].Options, "size=67108864") {
		t.Errorf("/dev/shm options %v, want 64m", s.Mounts[6].Options)
	}
	if !slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") || !slices.Contains(s.Linux.ReadonlyPaths, "/proc/sys") {
		t.Errorf("masked %v readonly %v", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
	if diff := cmp.Diff([]string{DefaultPath}, s.Process.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	for _, rl := range s.Process.Rlimits {
		if rl.Type != "RLIMIT_NOFILE" || rl.Hard > maxNofile {
			t.Errorf("rlimit %+v", rl)
		}
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(WithArgs([]string{"x"})); err == nil {
		t.Errorf("New() without rootfs = nil, want error")
	}
	if _, err := New(WithRootfs("/r")); err == nil {
		t.Errorf("New() without args = nil, want error")
	}
	if _, err := New(WithRootfs("rel"), WithArgs([]string{"x"})); err == nil {
		t.Errorf("New() with relative rootfs = nil, want error")
	}
}

func TestWithUser(t *testing.T) {
	r := rootfs(t)
	tests := []struct {
		user    string
		want    specs.User
		home    string
		wantErr string
	}{
		{"", specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{44}}, "HOME=/root", ""},
		{"root", specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{44}}, "HOME=/root", ""},
		{"tester", specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{50, 44}}, "HOME=/home/tester", ""},
		{"1000", specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{50, 44}}, "HOME=/home/tester", ""},
		{"1234:5678", specs.User{UID: 1234, GID: 5678}, "HOME=/", ""},
		{"tester:staff", specs.User{UID: 1000, GID: 50}, "HOME=/home/tester", ""},
		{"nosuch", specs.User{}, "", "unable to find user nosuch: no matching entries in passwd file"},
		{"tester:nogroup", specs.User{}, "", "unable to find group nogroup: no matching entries in group file"},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			s, err := New(WithRootfs(r), WithArgs([]string{"x"}), WithUser(r, tt.user))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, errdefs.ErrInvalidParameter) {
					t.Fatalf("WithUser(%q) = %v, want %q (invalid parameter)", tt.user, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("WithUser(%q) = %v", tt.user, err)
			}
			if diff := cmp.Diff(tt.want, s.Process.User); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
			if !slices.Contains(s.Process.Env, tt.home) {
				t.Errorf("env %v lacks %s", s.Process.Env, tt.home)
			}
		})
	}
}

func TestWithEnv(t *testing.T) {
	r := rootfs(t)
	tests := []struct {
		name string
		opts []SpecOpt
		want []string
	}{
		{"path added", []SpecOpt{WithEnv([]string{"A=1"})}, []string{"A=1", DefaultPath}},
		{"path kept", []SpecOpt{WithEnv([]string{"PATH=/x"})}, []string{"PATH=/x"}},
		{"home from user survives env", []SpecOpt{WithUser(r, "tester"), WithEnv([]string{"A=1"})}, []string{"A=1", DefaultPath, "HOME=/home/tester"}},
		{"env home wins", []SpecOpt{WithEnv([]string{"HOME=/h"}), WithUser(r, "tester")}, []string{"HOME=/h", DefaultPath}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(append([]SpecOpt{WithRootfs(r), WithArgs([]string{"x"})}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s.Process.Env); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNetworkOpts(t *testing.T) {
	netns := func(s *specs.Spec) *specs.LinuxNamespace {
		for _, n := range s.Linux.Namespaces {
			if n.Type == specs.NetworkNamespace {
				return &n
			}
		}
		return nil
	}
	base := []SpecOpt{WithRootfs("/r"), WithArgs([]string{"x"})}
	s, _ := New(append(base, WithHostNetwork())...)
	if netns(s) != nil {
		t.Errorf("WithHostNetwork: netns %v, want none", netns(s))
	}
	s, _ = New(append(base, WithNetNSPath("/var/run/netns/x"))...)
	if n := netns(s); n == nil || n.Path != "/var/run/netns/x" {
		t.Errorf("WithNetNSPath: netns %v", n)
	}
	s, _ = New(append(base, WithHostNetwork(), WithNetworkNone())...)
	if n := netns(s); n == nil || n.Path != "" {
		t.Errorf("WithNetworkNone: netns %v", n)
	}
}

func TestMountsAndCaps(t *testing.T) {
	s, err := New(WithRootfs("/r"), WithArgs([]string{"x"}),
		WithBindMount("/host/hosts", "/etc/hosts", false),
		WithBindMount("/host/ro", "/data", true),
		WithTmpfs("/dev/shm", "size=1m"),
		WithCapabilities([]string{"net_admin", "CAP_SYS_TIME"}, []string{"MKNOD", "cap_chown"}),
		WithCgroupsPath("/tug/abc"),
	)
	if err != nil {
		t.Fatal(err)
	}
	byDst := map[string]specs.Mount{}
	for _, m := range s.Mounts {
		byDst[m.Destination] = m
	}
	if m := byDst["/etc/hosts"]; m.Type != "bind" || m.Source != "/host/hosts" || slices.Contains(m.Options, "ro") {
		t.Errorf("/etc/hosts mount %+v", m)
	}
	if m := byDst["/data"]; !slices.Contains(m.Options, "ro") {
		t.Errorf("/data mount %+v, want ro", m)
	}
	if m := byDst["/dev/shm"]; m.Type != "tmpfs" || !slices.Contains(m.Options, "size=1m") {
		t.Errorf("/dev/shm mount %+v", m)
	}
	caps := s.Process.Capabilities.Effective
	if !slices.Contains(caps, "CAP_NET_ADMIN") || !slices.Contains(caps, "CAP_SYS_TIME") || slices.Contains(caps, "CAP_MKNOD") || slices.Contains(caps, "CAP_CHOWN") {
		t.Errorf("caps = %v", caps)
	}
	if s.Linux.CgroupsPath != "/tug/abc" {
		t.Errorf("cgroups path %q", s.Linux.CgroupsPath)
	}
	s, _ = New(WithRootfs("/r"), WithArgs([]string{"x"}), WithCapabilities(nil, []string{"ALL"}))
	if len(s.Process.Capabilities.Bounding) != 0 {
		t.Errorf("drop ALL: caps = %v", s.Process.Capabilities.Bounding)
	}
}
