package limits

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// A container sees its own cgroups at /sys/fs/cgroup as Docker's do on a
// cgroup v1 host: a tmpfs holding, for each hierarchy of the host, a bind of
// the container's cgroup directory (its root is /tug/ID), read-only,
// nosuid, nodev and noexec; the files are its own (pids.max is its
// --pids-limit) and cannot be written. (The binds are made with the new
// mount API, bindCgroupsV1 in third_party/runc; a privileged container's are
// writable, integration/security.)
func TestContainerSeesItsOwnCgroupsReadOnly(t *testing.T) {
	if cgroupV2() {
		t.Skip("cgroup v1 and hybrid hosts: the v1 hierarchies are bound one by one")
	}
	hierarchies := hostV1Hierarchies(t)
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	r := d.Tug("run", "-d", "--network", "none", "--pids-limit", "20", "busybox", "sleep", "1000")
	if r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	id := strings.TrimSpace(r.Stdout)
	r = d.Tug("exec", id, "sh", "-c", "cat /proc/self/mountinfo; echo pids.max=$(cat /sys/fs/cgroup/pids/pids.max); (echo 30 > /sys/fs/cgroup/pids/pids.max) 2>/dev/null && echo written; true")
	if r.ExitCode != 0 {
		t.Fatalf("exec: %s", r)
	}
	mounts := map[string][]string{} // mount point -> mountinfo fields
	for _, l := range strings.Split(r.Stdout, "\n") {
		if f := strings.Fields(l); len(f) > 5 && strings.HasPrefix(f[4], "/sys/fs/cgroup") {
			mounts[f[4]] = f
		}
	}
	if f := mounts["/sys/fs/cgroup"]; f == nil || !strings.Contains(strings.Join(f, " "), " - tmpfs ") {
		t.Errorf("/sys/fs/cgroup is not a tmpfs: %v", f)
	}
	for _, h := range hierarchies {
		f := mounts["/sys/fs/cgroup/"+h]
		if f == nil {
			t.Errorf("no /sys/fs/cgroup/%s in the container:\n%s", h, r.Stdout)
			continue
		}
		if f[3] != "/tug/"+id {
			t.Errorf("/sys/fs/cgroup/%s binds %s, want the container's /tug/%s", h, f[3], id)
		}
		opts := "," + f[5] + ","
		for _, o := range []string{"ro", "nosuid", "nodev", "noexec"} {
			if !strings.Contains(opts, ","+o+",") {
				t.Errorf("/sys/fs/cgroup/%s mounted %s, without %s", h, f[5], o)
			}
		}
	}
	if !strings.Contains(r.Stdout, "pids.max=20\n") {
		t.Errorf("the container's pids.max is not its --pids-limit 20:\n%s", r.Stdout)
	}
	if strings.Contains(r.Stdout, "written") {
		t.Error("the container wrote to its pids.max")
	}
}

// hostV1Hierarchies are the base names of the host's cgroup v1 mounts under
// /sys/fs/cgroup (cpu,cpuacct, memory, name=systemd's systemd...).
func hostV1Hierarchies(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var hs []string
	for _, l := range strings.Split(string(b), "\n") {
		i := strings.Index(l, " - cgroup ")
		f := strings.Fields(l)
		if i < 0 || len(f) < 5 || filepath.Dir(f[4]) != "/sys/fs/cgroup" {
			continue
		}
		hs = append(hs, filepath.Base(f[4]))
	}
	if len(hs) == 0 {
		t.Skip("no cgroup v1 hierarchy mounted under /sys/fs/cgroup")
	}
	return hs
}
