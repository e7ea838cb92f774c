package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

func TestErrors(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	before := d.Tug("images", "-q").Stdout
	for _, tc := range []struct {
		name, dockerfile string
		code             int
		want             []string
	}{
		{"unknown instruction", "FROM busybox\nFOOBAR x\n", 1, []string{"Dockerfile:2", "unknown instruction: FOOBAR"}},
		{"syntax", "FROM busybox\nCOPY onlyone\n", 1, []string{"Dockerfile:2", "COPY"}},
		{"missing source", "FROM busybox\nCOPY nothere.txt /\n", 1, []string{"Dockerfile:2", "COPY failed: file not found in build context", "nothere.txt"}},
		{"failing run", "FROM busybox\nRUN echo partial > /p\nRUN exit 3\n", 3, []string{"The command '/bin/sh -c exit 3' returned a non-zero code: 3"}},
		{"missing command", "FROM busybox\nRUN [\"/nonexistent\"]\n", 127, []string{"returned a non-zero code: 127"}},
		{"no such image", "FROM 127.0.0.1:1/nosuchimage:v9\n", 1, []string{"nosuchimage"}},
		{"empty", "# only a comment\n", 1, []string{"file with no instructions"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeContext(t, map[string]string{"Dockerfile": tc.dockerfile})
			r := d.Tug("build", dir)
			if r.ExitCode != tc.code {
				t.Errorf("exit = %d, want %d: %s", r.ExitCode, tc.code, r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r)
				}
			}
		})
	}
	// No container, snapshot, mount or tagged image was left.
	checkNoContainers(t, d)
	if after := d.Tug("images", "-q").Stdout; after != before {
		t.Errorf("images changed by failed builds:\nbefore %q\nafter %q", before, after)
	}
	if _, err := os.Stat(filepath.Join(d.Root, "builder", "tmp")); err != nil {
		t.Errorf("builder scratch dir: %v", err)
	}
}

// longRun is a RUN step that runs for a minute once it prints long-run-42.
const longRun = "RUN echo long-run-$((6*7)); sleep 60\n"

// buildUntilLongRun starts `tug build dir` and returns once its longRun
// step runs (its first line shows; the step's header shows the command
// with $((6*7)) unexpanded).
func buildUntilLongRun(t *testing.T, d *testutil.Daemon, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(filepath.Join(d.Bin, "tug"), "-H", d.Host, "build", dir)
	var out testutil.SafeBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !testutil.WaitFor(60*time.Second, func() bool { return strings.Contains(out.String(), "long-run-42") }) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("build did not reach the long RUN: %s", out.String())
	}
	return cmd
}

// A client that hangs up mid-RUN leaves nothing behind, and the completed
// steps stay cached.
func TestInterruptedBuild(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo done > /done\n" + longRun,
	})
	cmd := buildUntilLongRun(t, d, dir)
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	// The daemon notices the hang-up and cleans up.
	testutil.Eventually(t, 30*time.Second, func() bool {
		entries, _ := os.ReadDir(filepath.Join(d.Root, "builder", "run"))
		return len(entries) == 0
	})
	checkNoContainers(t, d)
	// The first RUN stayed cached.
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN echo done > /done\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := build(t, d, dir); runSteps(r.Stdout) != 0 {
		t.Errorf("completed step not cached after an interrupted build:\n%s", r.Stdout)
	}
}

// TestDaemonKilledDuringRun: tugd is killed (SIGKILL) while a RUN step
// runs; the next tugd ends the step's container and removes what it left
// (its shim, rootfs mount, snapshot and directories: the harness checks
// the mounts and shims), and the same build then runs to its end.
func TestDaemonKilledDuringRun(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\n" + longRun})
	cmd := buildUntilLongRun(t, d, dir)
	runDirs, _ := os.ReadDir(filepath.Join(d.Root, "builder", "run"))
	if len(runDirs) != 1 {
		t.Fatalf("builder/run holds %d entries during the RUN, want 1", len(runDirs))
	}
	id := runDirs[0].Name()
	d.Kill()
	cmd.Wait()
	d.Start()

	for _, p := range []string{
		filepath.Join(d.Root, "builder", "run", id),
		filepath.Join(d.Root, "overlay", "containers", id),
		filepath.Join(d.ExecRoot, "c", id),
	} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s after the restart: %v, want it removed", p, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN echo short\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := build(t, d, dir); r.ExitCode != 0 {
		t.Errorf("build after the restart: %s", r)
	}
}
