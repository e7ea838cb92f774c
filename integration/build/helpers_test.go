package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// writeContext writes files (path -> content) into a new context dir.
func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// build runs `tug build` and fails the test if it fails.
func build(t *testing.T, d *testutil.Daemon, args ...string) testutil.Result {
	t.Helper()
	r := d.Tug(append([]string{"build"}, args...)...)
	if r.ExitCode != 0 {
		t.Fatalf("tug build %v: %s", args, r)
	}
	return r
}

// inspect returns `tug image inspect --format f ref`, trimmed.
func inspect(t *testing.T, d *testutil.Daemon, f, ref string) string {
	t.Helper()
	r := d.Tug("image", "inspect", "--format", f, ref)
	if r.ExitCode != 0 {
		t.Fatalf("inspect %s: %s", ref, r)
	}
	return strings.TrimSpace(r.Stdout)
}

// builtID is the image ID a build printed ("Successfully built <short>").
func builtID(t *testing.T, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(l, "Successfully built "); ok {
			return strings.TrimSpace(s)
		}
	}
	t.Fatalf("no 'Successfully built' in:\n%s", out)
	return ""
}

// checkNoContainers fails if any container (build containers included) or
// build scratch directory is left.
func checkNoContainers(t *testing.T, d *testutil.Daemon) {
	t.Helper()
	if r := d.Tug("ps", "-aq"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("containers left: %q", r.Stdout)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Root, "builder", "run"))
	if len(entries) != 0 {
		t.Errorf("build run dirs left: %d", len(entries))
	}
	// A run --rm answers before its snapshot is gone (the removal
	// finishes after the answer): poll for it.
	snapsGone := testutil.WaitFor(10*time.Second, func() bool {
		snaps, _ := os.ReadDir(filepath.Join(d.Root, "overlay", "containers"))
		return len(snaps) == 0
	})
	if !snapsGone {
		snaps, _ := os.ReadDir(filepath.Join(d.Root, "overlay", "containers"))
		t.Errorf("container snapshots left: %d", len(snaps))
	}
	// The reused context directory of tar contexts stays between builds
	// (builder/tarcontext.go); nothing else may.
	tmp, _ := os.ReadDir(filepath.Join(d.Root, "builder", "tmp"))
	var left []string
	for _, e := range tmp {
		if e.Name() != "ctx-reused" {
			left = append(left, e.Name())
		}
	}
	if len(left) != 0 {
		t.Errorf("build scratch left: %v", left)
	}
}
