package limits

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// A container's init starts inside its own cgroup in every hierarchy of
// the host (the cgroup v1 ones and, on a hybrid host, the v2 one), and its
// processes are the only tasks there: nothing of the shim that started it
// (the thread that forks the init inside the cgroups) stays behind. After
// removal no cgroup of it is left.
func TestContainerProcessesAloneInTheirCgroups(t *testing.T) {
	if cgroupV2() {
		t.Skip("cgroup v1 and hybrid hosts: the shim moves a thread into each v1 hierarchy")
	}
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("run", "-d", "--name", "member", "--network", "none", "--pids-limit", "20",
		"busybox", "sh", "-c", "sleep 1000 & exec sleep 1001"); r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	res, err := d.Client.ContainerInspect(context.Background(), "member", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id, pid := res.Container.ID, res.Container.State.Pid

	// The init's cgroup in each hierarchy, as the kernel reports it.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			t.Fatalf("/proc/%d/cgroup line %q", pid, line)
		}
		if f[2] != "/tug/"+id {
			t.Errorf("hierarchy %q: init in %q, want /tug/%s", f[1], f[2], id)
			continue
		}
		mount := strings.TrimPrefix(f[1], "name=")
		if f[0] == "0" {
			mount = "unified"
		}
		dirs = append(dirs, filepath.Join("/sys/fs/cgroup", mount, "tug", id))
	}
	if len(dirs) < 2 {
		t.Fatalf("init is in %d cgroups: %s", len(dirs), b)
	}

	// Its tasks: the init (sleep 1001) and its child (sleep 1000), in each.
	testutil.Eventually(t, 10*time.Second, func() bool { return len(tasks(t, dirs[0])) == 2 })
	want := strings.Join(tasks(t, dirs[0]), " ")
	if !strings.Contains(" "+want+" ", " "+strconv.Itoa(pid)+" ") {
		t.Fatalf("tasks of %s = %s, without the init %d", dirs[0], want, pid)
	}
	for _, dir := range dirs[1:] {
		file := "tasks"
		if strings.Contains(dir, "/unified/") {
			file = "cgroup.threads"
		}
		got := readIDs(t, filepath.Join(dir, file))
		if strings.Join(got, " ") != want {
			t.Errorf("%s/%s = %v, want the container's %s", dir, file, got, want)
		}
	}
	if got := cgroupFile(t, "pids", id, "pids.current"); got != "2" {
		t.Errorf("pids.current = %s, want 2", got)
	}

	if r := d.Tug("rm", "-f", "member"); r.ExitCode != 0 {
		t.Fatalf("rm: %s", r)
	}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("cgroup %s left after rm: %v", dir, err)
		}
	}
}

func tasks(t *testing.T, dir string) []string {
	return readIDs(t, filepath.Join(dir, "tasks"))
}

// readIDs reads a cgroup's list of pids or tids, sorted.
func readIDs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(string(b))
	slices.Sort(ids)
	return ids
}
