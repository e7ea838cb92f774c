package build

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tug-project/tug/internal/builder/hashcache"
	"github.com/tug-project/tug/internal/testutil"
)

// The tug CLI on tugd's host lets tugd read the context directory in place
// (tug-context-dir) instead of sending a tar; TUG_BUILD_CONTEXT=tar forces
// the tar. Both must give the same cache keys, hence the same image IDs,
// and the same .dockerignore behaviour.

const directDockerfile = "FROM busybox\n" +
	"COPY a.txt /a.txt\n" +
	"RUN cat /a.txt > /from-a\n" +
	"COPY src/ /src/\n" +
	"RUN ls /src > /src-list\n" +
	"COPY . /ctx/\n" +
	"CMD [\"find\", \"/ctx\", \"-type\", \"f\"]\n"

func directFiles(variant string) map[string]string {
	return map[string]string{
		"Dockerfile":    directDockerfile,
		".dockerignore": "secret.txt\nlogs/\n*.tmp\n!keep.tmp\n",
		"a.txt":         "a1-" + variant + "\n",
		"secret.txt":    "no",
		"logs/x.log":    "no",
		"x.tmp":         "no",
		"keep.tmp":      "yes",
		"src/main.c":    "int main() {}\n",
		"src/lib/l.c":   "/* lib */\n",
	}
}

// hashCacheFiles counts the daemon's context hash cache files: there are
// some only after a build read a directory in place.
func hashCacheFiles(t *testing.T, d *testutil.Daemon) int {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(d.Root, "builder", "hashes"))
	return len(entries)
}

// ctxFiles lists the files an image built from directDockerfile copied.
func ctxFiles(t *testing.T, d *testutil.Daemon, ref string) []string {
	t.Helper()
	r := d.Tug("run", "--rm", ref)
	if r.ExitCode != 0 {
		t.Fatalf("run %s: %s", ref, r)
	}
	got := strings.Fields(r.Stdout)
	sort.Strings(got)
	return got
}

func TestDirectContext(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dirA := writeContext(t, directFiles("A"))
	dirB := writeContext(t, directFiles("B"))
	// A deliberate delay past the hash cache's racy window: files this
	// fresh are hashed but not remembered, and a ctime cannot be set back.
	time.Sleep(hashcache.RacyWindow + 500*time.Millisecond)

	// Context A: tar first, then in place.
	t.Setenv("TUG_BUILD_CONTEXT", "tar")
	build(t, d, "-t", "direct:a-tar", dirA)
	if n := hashCacheFiles(t, d); n != 0 {
		t.Fatalf("TUG_BUILD_CONTEXT=tar build left %d hash cache files: it did not send a tar", n)
	}
	t.Setenv("TUG_BUILD_CONTEXT", "")
	r := build(t, d, "-t", "direct:a-dir", dirA)
	if n := hashCacheFiles(t, d); n != 1 {
		t.Fatalf("direct build: %d hash cache files, want 1", n)
	}
	if n := strings.Count(r.Stdout, " ---> Using cache"); n != 6 || runSteps(r.Stdout) != 0 {
		t.Errorf("direct build after the tar build: %d cached steps, %d RUN steps, want 6 and 0:\n%s", n, runSteps(r.Stdout), r.Stdout)
	}
	idTar, idDir := inspect(t, d, "{{.Id}}", "direct:a-tar"), inspect(t, d, "{{.Id}}", "direct:a-dir")
	if idTar != idDir {
		t.Errorf("context A: tar build %s, direct build %s: want the same image", idTar, idDir)
	}

	// Context B: in place first (cold), then tar.
	build(t, d, "-t", "direct:b-dir", dirB)
	t.Setenv("TUG_BUILD_CONTEXT", "tar")
	r = build(t, d, "-t", "direct:b-tar", dirB)
	t.Setenv("TUG_BUILD_CONTEXT", "")
	if runSteps(r.Stdout) != 0 {
		t.Errorf("tar build after the direct build ran %d RUN steps:\n%s", runSteps(r.Stdout), r.Stdout)
	}
	if a, b := inspect(t, d, "{{.Id}}", "direct:b-dir"), inspect(t, d, "{{.Id}}", "direct:b-tar"); a != b {
		t.Errorf("context B: direct build %s, tar build %s: want the same image", a, b)
	}

	// .dockerignore applies in place exactly as to the tar.
	want := []string{"/ctx/.dockerignore", "/ctx/Dockerfile", "/ctx/a.txt", "/ctx/keep.tmp", "/ctx/src/lib/l.c", "/ctx/src/main.c"}
	for _, ref := range []string{"direct:b-dir", "direct:b-tar"} {
		if diff := cmp.Diff(want, ctxFiles(t, d, ref)); diff != "" {
			t.Errorf("%s: files copied (-want +got):\n%s", ref, diff)
		}
	}
	// An ignored file cannot be copied, with the tar path's message.
	ign := writeContext(t, map[string]string{
		"Dockerfile":    "FROM busybox\nCOPY secret.txt /\n",
		".dockerignore": "secret.txt\n",
		"secret.txt":    "no",
	})
	for _, mode := range []string{"tar", ""} {
		t.Setenv("TUG_BUILD_CONTEXT", mode)
		if r := d.Tug("build", ign); r.ExitCode == 0 || !strings.Contains(r.Stderr, "file not found in build context or excluded by .dockerignore") {
			t.Errorf("TUG_BUILD_CONTEXT=%q: COPY of an ignored file: %s", mode, r)
		}
	}
	t.Setenv("TUG_BUILD_CONTEXT", "")

	// Unchanged rebuild in place: every step cached, same image.
	r = build(t, d, "-t", "direct:a-dir", dirA)
	if runSteps(r.Stdout) != 0 || inspect(t, d, "{{.Id}}", "direct:a-dir") != idDir {
		t.Errorf("unchanged direct rebuild:\n%s", r.Stdout)
	}
	// Touching a file (mtime only) keeps the cache: the hash cache entry
	// misses, the content digest is the same.
	filepathTouch(t, filepath.Join(dirA, "src", "main.c"))
	if r := build(t, d, dirA); runSteps(r.Stdout) != 0 {
		t.Errorf("touch invalidated the cache:\n%s", r.Stdout)
	}

	// A one-file change of the same size, mtime restored: the ctime tells
	// the hash cache, and the build reruns from that file's COPY on.
	p := filepath.Join(dirA, "src", "lib", "l.c")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("/* LIB */\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	r = build(t, d, "-t", "direct:a2", dirA)
	if n := runSteps(r.Stdout); n != 1 {
		t.Errorf("after changing src/lib/l.c: %d RUN steps, want 1:\n%s", n, r.Stdout)
	}
	if n := strings.Count(r.Stdout, " ---> Using cache"); n != 2 {
		t.Errorf("after changing src/lib/l.c: %d cached steps, want 2 (COPY a.txt, RUN):\n%s", n, r.Stdout)
	}
	if r := d.Tug("run", "--rm", "direct:a2", "cat", "/src/lib/l.c", "/ctx/src/lib/l.c"); r.Stdout != "/* LIB */\n/* LIB */\n" {
		t.Errorf("changed file in the image: %s", r)
	}
	// The same change through the tar hits the cache the direct build made.
	t.Setenv("TUG_BUILD_CONTEXT", "tar")
	if r := build(t, d, "-t", "direct:a2-tar", dirA); runSteps(r.Stdout) != 0 || inspect(t, d, "{{.Id}}", "direct:a2-tar") != inspect(t, d, "{{.Id}}", "direct:a2") {
		t.Errorf("tar build of the changed context:\n%s", r.Stdout)
	}
	t.Setenv("TUG_BUILD_CONTEXT", "")
	checkNoContainers(t, d)
}

// tugd refuses a tug-context-dir it cannot use with an HTTP error before
// the build stream starts, which is what makes the CLI fall back to a tar.
func TestDirectContextRefused(t *testing.T) {
	d := testutil.StartDaemon(t)
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\n"})
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "unix", d.Socket)
	}}}
	defer hc.CloseIdleConnections()
	for _, tc := range []struct {
		name string
		q    url.Values
		want string
	}{
		{"relative", url.Values{"tug-context-dir": {"some/dir"}}, "not an absolute, clean path"},
		{"unclean", url.Values{"tug-context-dir": {dir + "/../" + filepath.Base(dir)}}, "not an absolute, clean path"},
		{"missing", url.Values{"tug-context-dir": {dir + "-nonexistent"}}, "no such file or directory"},
		{"file", url.Values{"tug-context-dir": {filepath.Join(dir, "Dockerfile")}}, "not a directory"},
		{"other directory", url.Values{"tug-context-dir": {dir}, "tug-context-id": {"another-boot:1:2"}}, "not the client's directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := hc.Post("http://tugd/build?"+tc.q.Encode(), "application/x-tar", strings.NewReader(""))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "tug-context-dir") || !strings.Contains(string(body), tc.want) {
				t.Errorf("POST /build?%s = %d %s, want 400 with %q", tc.q.Encode(), resp.StatusCode, body, tc.want)
			}
		})
	}
	if n := hashCacheFiles(t, d); n != 0 {
		t.Errorf("refused builds left %d hash cache files", n)
	}
}

// A CLI that sees another directory at the same path than tugd (here: its
// own mount namespace with a tmpfs over the context) is refused by the
// context ID check and falls back to a tar of what it sees.
func TestDirectContextFallback(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare (util-linux) not installed")
	}
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nLABEL side=daemon\n"})
	script := `set -e
mount -t tmpfs tmpfs "$1"
printf 'FROM busybox\nLABEL side=client\n' > "$1/Dockerfile"
"$2" -H "$3" build -t fallback:1 "$1"`
	ctx, cancel := context.WithTimeout(context.Background(), testutil.CommandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, unshare, "--mount", "--propagation", "private", "sh", "-c", script, "sh", dir, filepath.Join(d.Bin, "tug"), d.Host).CombinedOutput()
	if err != nil {
		t.Fatalf("build in another mount namespace: %v\n%s", err, out)
	}
	// The in-place attempt came first and was refused (tugd logs requests
	// with --debug).
	if !regexp.MustCompile(`path=/v[0-9.]+/build status=400`).MatchString(d.Log()) {
		t.Errorf("no refused POST /build in the daemon log: the CLI did not try the directory in place")
	}
	if got := inspect(t, d, "{{.Config.Labels.side}}", "fallback:1"); got != "client" {
		t.Errorf("label side = %q, want client (the CLI's view of the context)", got)
	}
	if n := hashCacheFiles(t, d); n != 0 {
		t.Errorf("%d hash cache files: tugd read the directory in place", n)
	}
	checkNoContainers(t, d)
}
