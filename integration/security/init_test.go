package security

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// orphans leaves two exited orphans behind (reparented to pid 1), then
// sleeps as a child of pid 1.
const orphans = "(sleep 0 &); (sleep 0 &); sleep 100"

func zombies(d *testutil.Daemon, name string) int {
	r := d.Tug("exec", name, "sh", "-c", "cat /proc/[0-9]*/stat")
	n := 0
	for _, l := range strings.Split(r.Stdout, "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[2] == "Z" {
			n++
		}
	}
	return n
}

func TestInitIsPid1ReapsZombiesAndForwardsSignals(t *testing.T) {
	d := start(t)
	for _, cli := range d.CLIs() {
		out := run(t, cli, "--init", "busybox", "cat", "/proc/1/cmdline")
		if !strings.HasPrefix(out, "/sbin/docker-init\x00--\x00cat\x00") {
			t.Errorf("%s: pid 1 under --init = %q", cli.Name, out)
		}
	}
	// Without an init, pid 1 (a shell that never waits) leaves zombies.
	if r := d.Tug("run", "-d", "--name", "noinit", "--network", "none", "busybox", "sh", "-c", orphans); r.ExitCode != 0 {
		t.Fatal(r)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return zombies(d, "noinit") == 2 })
	if r := d.Tug("run", "-d", "--init", "--name", "withinit", "--network", "none", "busybox", "sh", "-c", orphans); r.ExitCode != 0 {
		t.Fatal(r)
	}
	// The orphans exist and are reaped: poll until the shell's sleep runs
	// (the subshells are done) and no zombie is left.
	testutil.Eventually(t, 10*time.Second, func() bool {
		r := d.Tug("exec", "withinit", "sh", "-c", "pidof sleep")
		return r.ExitCode == 0 && zombies(d, "withinit") == 0
	})
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
