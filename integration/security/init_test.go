package security

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// orphans leaves two orphans (reparented to pid 1) that exit a second
// later, and becomes a sleep that never waits for a child.
const orphans = "(sleep 1 &); (sleep 1 &); exec sleep 100"

// sleeps counts the container's sleep processes: live ones and zombies.
func sleeps(d *testutil.Daemon, name string) (live, zombies int) {
	r := d.Tug("exec", name, "sh", "-c", "cat /proc/[0-9]*/stat")
	for _, l := range strings.Split(r.Stdout, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || f[1] != "(sleep)" {
			continue
		}
		if f[2] == "Z" {
			zombies++
		} else {
			live++
		}
	}
	return live, zombies
}

func TestInitIsPid1ReapsZombiesAndForwardsSignals(t *testing.T) {
	d := start(t)
	for _, cli := range d.CLIs() {
		out := run(t, cli, "--init", "busybox", "cat", "/proc/1/cmdline")
		if !strings.HasPrefix(out, "/sbin/docker-init\x00--\x00cat\x00") {
			t.Errorf("%s: pid 1 under --init = %q", cli.Name, out)
		}
	}
	// Without an init, pid 1 (a sleep, which never waits) leaves zombies.
	if r := d.Tug("run", "-d", "--name", "noinit", "--network", "none", "busybox", "sh", "-c", orphans); r.ExitCode != 0 {
		t.Fatal(r)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { live, z := sleeps(d, "noinit"); return live == 1 && z == 2 })
	if r := d.Tug("run", "-d", "--init", "--name", "withinit", "--network", "none", "busybox", "sh", "-c", orphans); r.ExitCode != 0 {
		t.Fatal(r)
	}
	// The orphans run (for a second), then exit and are reaped: one live
	// sleep, no zombie.
	testutil.Eventually(t, 10*time.Second, func() bool { live, _ := sleeps(d, "withinit"); return live == 3 })
	testutil.Eventually(t, 10*time.Second, func() bool { live, z := sleeps(d, "withinit"); return live == 1 && z == 0 })
	// SIGTERM reaches the command (a sleep as pid 1 would ignore it and
	// wait for the 10 s timeout's SIGKILL): exit status 143.
	began := time.Now()
	if r := d.Tug("stop", "-t", "30", "withinit"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("stop of an --init container took %v: SIGTERM not forwarded", took)
	}
	if got := strings.TrimSpace(d.Tug("inspect", "--format", "{{.State.ExitCode}}", "withinit").Stdout); got != "143" {
		t.Errorf("exit code after SIGTERM = %s, want 143", got)
	}
}

func TestDaemonJSONInitIsTheDefault(t *testing.T) {
	d := start(t)
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(cfg, []byte(`{"init": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	d.Args = []string{"--config-file", cfg}
	d.Start()
	if out := run(t, d.CLIs()[0], "busybox", "cat", "/proc/1/comm"); out != "docker-init\n" {
		t.Errorf("pid 1 with daemon.json init = %q", out)
	}
	if out := run(t, d.CLIs()[0], "--init=false", "busybox", "cat", "/proc/1/comm"); out != "cat\n" {
		t.Errorf("pid 1 with --init=false = %q", out)
	}
}
