package userns

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// startRemapped starts a tugd with "userns-remap": "default" and the
// busybox image, and returns it with the first host ID of dockremap's
// subordinate uid and gid ranges.
func startRemapped(t *testing.T) (d *testutil.Daemon, subuid, subgid int) {
	t.Helper()
	d = testutil.StartDaemon(t)
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(cfg, []byte(`{"userns-remap": "default"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// The remapped root must be able to reach the data root, as with
	// Docker; the test's temp dirs are 0700.
	if err := os.Chmod(filepath.Dir(d.Root), 0o711); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	d.Args = []string{"--config-file", cfg}
	d.Start()
	d.ImportBusybox("busybox")
	return d, subStart(t, "/etc/subuid"), subStart(t, "/etc/subgid")
}

// subStart is the first ID of dockremap's range in a subordinate ID file.
func subStart(t *testing.T, file string) int {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p := strings.Split(sc.Text(), ":"); len(p) == 3 && p[0] == "dockremap" {
			n, err := strconv.Atoi(p[1])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no dockremap range in %s", file)
	return 0
}

// ok runs the CLI and wants exit 0; it returns stdout, trimmed.
func ok(t *testing.T, cli testutil.CLI, args ...string) string {
	t.Helper()
	r := cli.Run("", args...)
	if r.ExitCode != 0 {
		t.Fatalf("%s %v: %s", cli.Name, args, r)
	}
	return strings.TrimSpace(r.Stdout)
}

// owner is the host owner of path.
func owner(t *testing.T, path string) (int, int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}

// procUID is the real uid of host process pid (from /proc/PID/status).
func procUID(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, found := strings.CutPrefix(l, "Uid:"); found {
			n, err := strconv.Atoi(strings.Fields(v)[0])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return 0
}
