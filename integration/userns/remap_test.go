package userns

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// A remapped container's root is uid 0 inside and dockremap's first
// subordinate uid on the host, for its init and for exec'd processes.
func TestRemappedContainerIsRootInsideAndSubordinateOutside(t *testing.T) {
	d, subuid, subgid := startRemapped(t)
	for _, cli := range d.CLIs() {
		got := strings.Fields(ok(t, cli, "run", "--rm", "busybox", "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g"))
		want := strings.Fields(fmt.Sprintf("0 %d 65536 0 %d 65536 0 0", subuid, subgid))
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: uid_map, gid_map, id = %v, want %v", cli.Name, got, want)
		}
	}

	ok(t, d.CLIs()[0], "run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
	pid, err := strconv.Atoi(ok(t, d.CLIs()[0], "inspect", "-f", "{{.State.Pid}}", "ctr"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := procUID(t, pid); uid != subuid {
		t.Errorf("container init on the host: uid %d, want %d", uid, subuid)
	}
	for _, cli := range d.CLIs() {
		if out := ok(t, cli, "exec", "ctr", "id", "-u"); out != "0" {
			t.Errorf("%s exec id -u = %q, want 0", cli.Name, out)
		}
	}
	// An exec'd process, seen from the host.
	ok(t, d.CLIs()[0], "exec", "-d", "ctr", "sleep", "999")
	var execPid int
	testutil.Eventually(t, 5*time.Second, func() bool {
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			b, _ := os.ReadFile(p)
			if string(b) == "sleep\x00999\x00" {
				execPid, _ = strconv.Atoi(filepath.Base(filepath.Dir(p)))
				return true
			}
		}
		return false
	})
	if uid := procUID(t, execPid); uid != subuid {
		t.Errorf("exec'd process on the host: uid %d, want %d", uid, subuid)
	}
	// What a remapped container needs from its mounts works: /sys with its
	// own interfaces, cgroups, /dev/shm, tmpfs, /tmp.
	out := ok(t, d.CLIs()[0], "run", "--rm", "--tmpfs", "/scratch", "busybox", "sh", "-c",
		"ls /sys/class/net | tr '\\n' ' '; cat /sys/fs/cgroup/memory/memory.limit_in_bytes >/dev/null && echo cgroups; "+
			"touch /dev/shm/a /scratch/b /tmp/c && echo writable")
	if !strings.Contains(out, "eth0 lo") || !strings.Contains(out, "cgroups") || !strings.Contains(out, "writable") {
		t.Errorf("mounts of a remapped container: %q", out)
	}
}
