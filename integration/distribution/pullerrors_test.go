package distribution

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// TestPullErrors: unknown tag and repository, unreachable registry; no
// failed pull leaves a blob.
func TestPullErrors(t *testing.T) {
	d := testutil.StartDaemon(t)
	host, _ := startRegistry(t, nil)
	push(t, host+"/there:v1", makeImage(t, nil, randomLayer(t, 512)))
	before := blobs(t, d)

	r := d.Tug("pull", host+"/there:nosuch")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "Error response from daemon: manifest for "+host+"/there:nosuch not found: manifest unknown") {
		t.Errorf("pull unknown tag: %s", r)
	}
	r = d.Tug("pull", host+"/nowhere:v1")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "pull access denied for "+host+"/nowhere, repository does not exist or may require 'docker login'") {
		t.Errorf("pull unknown repository: %s", r)
	}
	l := httptest.NewServer(http.NotFoundHandler())
	gone := strings.TrimPrefix(l.URL, "http://")
	l.Close()
	r = d.Tug("pull", gone+"/x:v1")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "connection refused") {
		t.Errorf("pull from an unreachable registry: %s", r)
	}
	if after := blobs(t, d); len(after) != len(before) {
		t.Errorf("failed pulls left blobs: %d before, %d after", len(before), len(after))
	}
}

// TestPullCorruptOrCutBlobLeavesStoreAsItWas: a blob with a flipped byte, and a
// registry dropping the connection mid-layer, fail cleanly and leave the
// store as it was; a retry against a healthy registry succeeds.
func TestPullCorruptOrCutBlobLeavesStoreAsItWas(t *testing.T) {
	d := testutil.StartDaemon(t)
	var mode atomic.Value // "", "corrupt" or "die"
	mode.Store("")
	bigLayer := randomLayer(t, 16<<20)
	bigDigest, _ := bigLayer.Digest()
	host, _ := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m := blobPath.FindStringSubmatch(r.URL.Path)
			if m == nil || r.Method != http.MethodGet || m[1] != bigDigest.String() || mode.Load() == "" {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			if mode.Load() == "corrupt" {
				body[len(body)/2] ^= 0xff
				_, _ = w.Write(body)
				return
			}
			_, _ = w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // the registry goes away mid-layer
		})
	})
	ref := host + "/fragile:v1"
	push(t, ref, makeImage(t, []string{"echo", "survived"}, busyboxLayer(t), bigLayer))
	beforeBlobs, beforeSnaps := blobs(t, d), snapshots(t, d)

	check := func(what string) {
		t.Helper()
		if r := d.Tug("image", "inspect", ref); r.ExitCode == 0 {
			t.Errorf("%s: image exists after a failed pull", what)
		}
		if got := blobs(t, d); len(got) != len(beforeBlobs) {
			t.Errorf("%s: %d blobs before, %d after", what, len(beforeBlobs), len(got))
		}
		if got := snapshots(t, d); len(got) != len(beforeSnaps) {
			t.Errorf("%s: %d layer snapshots before, %d after", what, len(beforeSnaps), len(got))
		}
		for _, dir := range []string{filepath.Join(d.Root, "content", "ingest"), filepath.Join(d.Root, "overlay", "tmp")} {
			if es, _ := os.ReadDir(dir); len(es) != 0 {
				t.Errorf("%s: %d leftovers in %s", what, len(es), dir)
			}
		}
	}
	mode.Store("corrupt")
	r := d.Tug("pull", ref)
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "verification failed for digest "+bigDigest.String()) && !strings.Contains(r.Stderr, "gzip") {
		t.Errorf("pull of a corrupt blob: %s", r)
	}
	check("corrupt blob")

	mode.Store("die")
	r = d.Tug("pull", ref)
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "failed to download layer "+bigDigest.String()) {
		t.Errorf("pull from a dying registry: %s", r)
	}
	check("registry died")

	mode.Store("")
	if r := d.Tug("pull", ref); r.ExitCode != 0 {
		t.Fatalf("retried pull: %s\n%s", r, d.Log())
	}
	if r := d.Tug("run", "--rm", ref); r.Stdout != "survived\n" {
		t.Errorf("run after retry: %s", r)
	}
}
