package bundle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/testutil"
)

// fakeRootfs makes a directory with the /etc/passwd and /etc/group that
// user resolution reads.
func fakeRootfs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
		"etc/group":  "root:x:0:\napp:x:1000:\nstaff:x:50:app\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSpecHasTheProcessTheEtcFilesAndTheCallersOptions(t *testing.T) {
	b := Bundle{Dir: t.TempDir()}
	// The rootfs is not mounted: point it at a plain directory.
	if err := os.Symlink(fakeRootfs(t), b.Rootfs()); err != nil {
		t.Fatal(err)
	}
	spec, err := b.Spec(Process{ID: "abc", Args: []string{"sh", "-c", "true"}, User: "app", Hostname: "h1"},
		oci.WithDomainname("example.org"))
	if err != nil {
		t.Fatalf("Spec() = %v", err)
	}
	if spec.Root.Path != b.Rootfs() {
		t.Errorf("Root.Path = %q, want %q", spec.Root.Path, b.Rootfs())
	}
	if spec.Process.Cwd != "/" {
		t.Errorf("Cwd = %q, want / when none is given", spec.Process.Cwd)
	}
	if u := spec.Process.User; u.UID != 1000 || u.GID != 1000 || !slices.Equal(u.AdditionalGids, []uint32{50}) {
		t.Errorf("User = %+v, want app (1000:1000, groups [50]) from the rootfs's files", u)
	}
	if spec.Hostname != "h1" || spec.Domainname != "example.org" {
		t.Errorf("Hostname, Domainname = %q, %q, want h1, example.org", spec.Hostname, spec.Domainname)
	}
	if spec.Linux.CgroupsPath != "/tug/abc" {
		t.Errorf("CgroupsPath = %q, want /tug/abc", spec.Linux.CgroupsPath)
	}
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		if !hasBind(spec, filepath.Join(b.Dir, name), "/etc/"+name) {
			t.Errorf("no bind mount of the bundle's %s at /etc/%s", name, name)
		}
	}
}

func TestSpecBindsTheEtcFilesOfTheEtcDirGiven(t *testing.T) {
	b := Bundle{Dir: t.TempDir()}
	if err := os.Symlink(fakeRootfs(t), b.Rootfs()); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir() // the bundle of the container whose network is shared
	spec, err := b.Spec(Process{ID: "abc", Args: []string{"true"}, EtcDir: other})
	if err != nil {
		t.Fatalf("Spec() = %v", err)
	}
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		if !hasBind(spec, filepath.Join(other, name), "/etc/"+name) {
			t.Errorf("no bind mount of the other bundle's %s at /etc/%s", name, name)
		}
		if hasBind(spec, filepath.Join(b.Dir, name), "/etc/"+name) {
			t.Errorf("the bundle's own %s is bound too", name)
		}
	}
}

func hasBind(spec *specs.Spec, src, dst string) bool {
	for _, m := range spec.Mounts {
		if m.Source == src && m.Destination == dst && m.Type == "bind" {
			return true
		}
	}
	return false
}

func TestWriteEtcWritesOnlyTheFilesGiven(t *testing.T) {
	b := Bundle{Dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(b.Dir, "hosts"), []byte("kept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteEtc(Etc{Hostname: []byte("h\n"), ResolvConf: []byte("nameserver 127.0.0.1\n")}); err != nil {
		t.Fatalf("WriteEtc() = %v", err)
	}
	for name, want := range map[string]string{"hostname": "h\n", "hosts": "kept\n", "resolv.conf": "nameserver 127.0.0.1\n"} {
		got, err := os.ReadFile(filepath.Join(b.Dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
}

// WriteEtc rewrites a changed file in place (the same inode: a running
// container has it bind-mounted) and leaves one that already holds its
// content untouched.
func TestWriteEtcRewritesInPlaceOnlyWhatChanged(t *testing.T) {
	b := Bundle{Dir: t.TempDir()}
	if err := b.WriteEtc(Etc{Hosts: []byte("127.0.0.1 localhost\n"), ResolvConf: []byte("nameserver 127.0.0.1\n")}); err != nil {
		t.Fatal(err)
	}
	stat := func(name string) os.FileInfo {
		fi, err := os.Stat(filepath.Join(b.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	hosts0, resolv0 := stat(hosts), stat(resolvConf)
	past := hosts0.ModTime().Add(-time.Hour)
	for _, n := range []string{hosts, resolvConf} {
		if err := os.Chtimes(filepath.Join(b.Dir, n), past, past); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.WriteEtc(Etc{Hosts: []byte("127.0.0.1 localhost\n10.0.0.2 c1\n"), ResolvConf: []byte("nameserver 127.0.0.1\n")}); err != nil {
		t.Fatal(err)
	}
	hosts1, resolv1 := stat(hosts), stat(resolvConf)
	if !os.SameFile(hosts0, hosts1) || !os.SameFile(resolv0, resolv1) {
		t.Error("WriteEtc replaced a file instead of writing it in place")
	}
	if got, _ := os.ReadFile(filepath.Join(b.Dir, hosts)); string(got) != "127.0.0.1 localhost\n10.0.0.2 c1\n" {
		t.Errorf("hosts = %q after the rewrite", got)
	}
	if !hosts1.ModTime().After(past) {
		t.Error("the changed hosts file was not written")
	}
	if !resolv1.ModTime().Equal(past) {
		t.Errorf("the unchanged resolv.conf was written (mtime %v, want %v)", resolv1.ModTime(), past)
	}
}

func TestCreateMountsTheRootfsAndWritesConfig(t *testing.T) {
	testutil.RequiresRoot(t)
	src := fakeRootfs(t)
	b, err := Create(Config{
		Dir:     t.TempDir(),
		Rootfs:  []mount.Mount{{Type: "bind", Source: src, Options: []string{"bind"}}},
		Etc:     Etc{Hostname: []byte("h\n"), Hosts: []byte("127.0.0.1 localhost\n"), ResolvConf: []byte("\n")},
		Process: Process{ID: "x", Args: []string{"true"}},
	})
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	t.Cleanup(func() { _ = b.Unmount() })
	if _, err := os.Stat(filepath.Join(b.Rootfs(), "etc", "passwd")); err != nil {
		t.Errorf("rootfs not mounted: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(b.Dir, ConfigFile))
	if err != nil {
		t.Fatalf("config.json: %v", err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil || !slices.Equal(spec.Process.Args, []string{"true"}) {
		t.Fatalf("config.json = %s (%v), want the process's args", data, err)
	}
	if err := b.Unmount(); err != nil {
		t.Fatalf("Unmount() = %v", err)
	}
	if mounted(b.Rootfs()) {
		t.Fatal("rootfs still mounted after Unmount()")
	}
}

func TestCreateThatFailsLeavesNothingMounted(t *testing.T) {
	testutil.RequiresRoot(t)
	dir := t.TempDir()
	_, err := Create(Config{
		Dir:     dir,
		Rootfs:  []mount.Mount{{Type: "bind", Source: fakeRootfs(t), Options: []string{"bind"}}},
		Process: Process{ID: "x", Args: []string{"true"}, User: "nobody-here"},
	})
	if err == nil || !strings.Contains(err.Error(), "nobody-here") {
		t.Fatalf("Create() with an unknown user = %v, want an error naming it", err)
	}
	if mounted(Bundle{Dir: dir}.Rootfs()) {
		t.Fatal("rootfs left mounted after a failed Create()")
	}
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); !os.IsNotExist(err) {
		t.Fatalf("config.json left behind: %v", err)
	}
}

func mounted(target string) bool {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	return strings.Contains(string(b), " "+target+" ")
}

func TestMountBindsShowsHostPathsInTheRootfsUntilReleased(t *testing.T) {
	testutil.RequiresRoot(t)
	b, err := Create(Config{
		Dir:     t.TempDir(),
		Rootfs:  []mount.Mount{{Type: "bind", Source: fakeRootfs(t), Options: []string{"bind"}}},
		Process: Process{ID: "x", Args: []string{"true"}},
	})
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	t.Cleanup(func() { _ = b.Unmount() })
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "f"), []byte("volume"), 0o644); err != nil {
		t.Fatal(err)
	}
	release, err := b.MountBinds([]Bind{
		{Source: data, Destination: "/srv/data", RW: false},
		{Source: filepath.Join(data, "missing"), Destination: "/skipped"},
	})
	if err != nil {
		t.Fatalf("MountBinds() = %v", err)
	}
	got, err := os.ReadFile(filepath.Join(b.Rootfs(), "srv", "data", "f"))
	if err != nil || string(got) != "volume" {
		t.Errorf("the bind's file in the rootfs = %q, %v; want volume", got, err)
	}
	if err := os.WriteFile(filepath.Join(b.Rootfs(), "srv", "data", "g"), nil, 0o644); err == nil {
		t.Error("writing through a read-only bind succeeded")
	}
	if _, err := os.Stat(filepath.Join(b.Rootfs(), "skipped")); !os.IsNotExist(err) {
		t.Errorf("a bind with a missing source made its mount point: %v", err)
	}
	release()
	if mounted(filepath.Join(b.Rootfs(), "srv", "data")) {
		t.Error("bind still mounted after release")
	}
}
