package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tug-project/tug/internal/testutil"
)

const tarContextDockerfile = "FROM busybox\n" +
	"COPY . /ctx/\n" +
	"CMD [\"sh\", \"-c\", \"cd /ctx && find . -type f | sort && cat a.txt\"]\n"

// TestTarContextRebuildsSeeExactlyTheContextSent builds tar contexts one
// after the other (tugd unpacks each over the last, creating only what
// changed): after edits, removals, additions and a file turned into a
// directory, the image holds exactly the new context, and is the image
// the same context gives when tugd reads it in place; an unchanged
// rebuild is all cache; a builder prune removes the reused directory.
func TestTarContextRebuildsSeeExactlyTheContextSent(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{
		"Dockerfile":  tarContextDockerfile,
		"a.txt":       "one\n",
		"gone.txt":    "removed next\n",
		"sub/keep.c":  "keep\n",
		"sub/drop.c":  "removed next\n",
		"becomes/dir": "a file inside a directory that becomes a file\n",
	})
	t.Setenv("TUG_BUILD_CONTEXT", "tar")
	build(t, d, "-t", "tarctx:1", dir)

	// The next context: same-size edit, removals, an addition, and a
	// directory turned into a file.
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"gone.txt", "sub/drop.c"} {
		if err := os.Remove(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, "becomes")); err != nil {
		t.Fatal(err)
	}
	for p, body := range map[string]string{"becomes": "now a file\n", "new/added.txt": "added\n"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build(t, d, "-t", "tarctx:2", dir)
	r := d.Tug("run", "--rm", "tarctx:2")
	if r.ExitCode != 0 {
		t.Fatalf("run tarctx:2: %s", r)
	}
	want := []string{"./Dockerfile", "./a.txt", "./becomes", "./new/added.txt", "./sub/keep.c", "two"}
	if diff := cmp.Diff(want, strings.Fields(r.Stdout)); diff != "" {
		t.Errorf("second tar context in the image (-want +got):\n%s", diff)
	}

	// Unchanged: every step from the cache, the same image.
	r2 := build(t, d, "-t", "tarctx:3", dir)
	if n := strings.Count(r2.Stdout, " ---> Using cache"); n != 2 {
		t.Errorf("unchanged tar rebuild: %d cached steps, want 2:\n%s", n, r2.Stdout)
	}
	id := inspect(t, d, "{{.Id}}", "tarctx:2")
	if got := inspect(t, d, "{{.Id}}", "tarctx:3"); got != id {
		t.Errorf("unchanged tar rebuild made %s, want %s", got, id)
	}
	// Read in place, the same context is the same image.
	t.Setenv("TUG_BUILD_CONTEXT", "")
	build(t, d, "-t", "tarctx:dir", dir)
	if got := inspect(t, d, "{{.Id}}", "tarctx:dir"); got != id {
		t.Errorf("the context read in place made %s, the tar %s: want the same image", got, id)
	}

	// The reused directory is the builder's cache: a prune removes it.
	reused := filepath.Join(d.Root, "builder", "tmp", "ctx-reused")
	if _, err := os.Stat(reused); err != nil {
		t.Fatalf("after tar builds: %v", err)
	}
	if r := d.Tug("builder", "prune", "-f"); r.ExitCode != 0 {
		t.Fatalf("builder prune: %s", r)
	}
	if _, err := os.Stat(reused); !os.IsNotExist(err) {
		t.Errorf("after builder prune, the reused context directory: %v; want it gone", err)
	}
}
