package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// runSteps counts the RUN steps a build executed in a container.
func runSteps(out string) int { return strings.Count(out, " ---> Running in ") }

func TestCacheRules(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nARG V=1\nRUN echo first-$V > /first\nCOPY a.txt /a.txt\nRUN cat /a.txt > /second\nCOPY b.txt /b.txt\nRUN echo third > /third\nCMD [\"cat\", \"/first\", \"/second\"]\n",
		"a.txt":      "a1\n",
		"b.txt":      "b1\n",
	})
	r1 := build(t, d, "-t", "cache:1", dir)
	if n := runSteps(r1.Stdout); n != 3 {
		t.Fatalf("cold build ran %d RUN steps, want 3:\n%s", n, r1.Stdout)
	}
	id1 := inspect(t, d, "{{.Id}}", "cache:1")

	// Unchanged rebuild: no container, every step cached, same image ID.
	r2 := build(t, d, "-t", "cache:1", dir)
	if n := runSteps(r2.Stdout); n != 0 {
		t.Errorf("unchanged rebuild ran %d RUN steps:\n%s", n, r2.Stdout)
	}
	if n := strings.Count(r2.Stdout, " ---> Using cache"); n != 7 {
		t.Errorf("unchanged rebuild: %d cached steps, want 7:\n%s", n, r2.Stdout)
	}
	if id := inspect(t, d, "{{.Id}}", "cache:1"); id != id1 {
		t.Errorf("unchanged rebuild: ID %s, want %s", id, id1)
	}
	// Touching a file (mtime only) keeps the cache.
	now := filepathTouch(t, filepath.Join(dir, "a.txt"))
	_ = now
	if r := build(t, d, dir); runSteps(r.Stdout) != 0 {
		t.Errorf("touch invalidated the cache:\n%s", r.Stdout)
	}

	// Changing b.txt rebuilds from its COPY on: one RUN.
	if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r3 := build(t, d, "-t", "cache:2", dir)
	if n := runSteps(r3.Stdout); n != 1 {
		t.Errorf("after changing b.txt: %d RUN steps, want 1:\n%s", n, r3.Stdout)
	}
	if n := strings.Count(r3.Stdout, " ---> Using cache"); n != 4 {
		t.Errorf("after changing b.txt: %d cached steps, want 4 (ARG, RUN, COPY, RUN):\n%s", n, r3.Stdout)
	}
	// Changing a.txt rebuilds from step 4.
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r4 := build(t, d, "-t", "cache:3", dir)
	if n := runSteps(r4.Stdout); n != 2 {
		t.Errorf("after changing a.txt: %d RUN steps, want 2:\n%s", n, r4.Stdout)
	}
	if r := d.Tug("run", "--rm", "cache:3"); r.Stdout != "first-1\na2\n" {
		t.Errorf("run cache:3: %s", r)
	}
	// A different build arg value misses from the first RUN that sees it.
	r5 := build(t, d, "--build-arg", "V=2", dir)
	if n := runSteps(r5.Stdout); n != 3 {
		t.Errorf("--build-arg V=2: %d RUN steps, want 3:\n%s", n, r5.Stdout)
	}
	// --no-cache rebuilds everything.
	r6 := build(t, d, "--no-cache", dir)
	if n := runSteps(r6.Stdout); n != 3 || strings.Contains(r6.Stdout, "Using cache") {
		t.Errorf("--no-cache: %d RUN steps:\n%s", n, r6.Stdout)
	}
	// Plain progress marks cached steps.
	r7 := build(t, d, "--progress", "plain", dir)
	if !strings.Contains(r7.Stdout, "#3 CACHED") {
		t.Errorf("--progress plain:\n%s", r7.Stdout)
	}
	// Prune drops the cache; the next build runs everything again.
	if r := d.Tug("builder", "prune", "-f"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Total reclaimed space") {
		t.Errorf("builder prune: %s", r)
	}
	if r := build(t, d, dir); runSteps(r.Stdout) != 3 {
		t.Errorf("after prune: %d RUN steps, want 3:\n%s", runSteps(r.Stdout), r.Stdout)
	}
	// Images survive a prune.
	if r := d.Tug("run", "--rm", "cache:1"); r.Stdout != "first-1\na1\n" {
		t.Errorf("run cache:1 after prune: %s", r)
	}
	checkNoContainers(t, d)
}

func filepathTouch(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	mt := fi.ModTime().Add(3600e9)
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(mt)
}
