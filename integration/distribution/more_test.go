package distribution

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/tug-project/tug/internal/testutil"
)

var blobPath = regexp.MustCompile(`^/v2/.+/blobs/(sha256:[0-9a-f]{64})$`)

// blobCounter counts GETs of each blob.
type blobCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *blobCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := blobPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
			c.mu.Lock()
			c.n[m[1]]++
			c.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (c *blobCounter) get(d string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[d]
}

// TestSharedLayersIndexAndConcurrentPulls pulls two images sharing a base
// layer at once (the shared blob is downloaded once), then a third one
// sharing it ("Already exists"), and a manifest list (linux/amd64 chosen).
func TestSharedLayersIndexAndConcurrentPulls(t *testing.T) {
	d := testutil.StartDaemon(t)
	counter := &blobCounter{n: map[string]int{}}
	host, _ := startRegistry(t, counter.wrap)
	base := busyboxLayer(t)
	big := randomLayer(t, 8<<20)
	a := makeImage(t, []string{"echo", "image-a"}, base, big, randomLayer(t, 1<<20))
	b := makeImage(t, []string{"echo", "image-b"}, base, big, randomLayer(t, 1<<20))
	c := makeImage(t, []string{"echo", "image-c"}, base, randomLayer(t, 1024))
	push(t, host+"/a:v1", a)
	push(t, host+"/b:v1", b)
	push(t, host+"/c:v1", c)

	var wg sync.WaitGroup
	results := make([]testutil.Result, 2)
	for i, ref := range []string{host + "/a:v1", host + "/b:v1"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = d.Tug("pull", ref)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.ExitCode != 0 {
			t.Fatalf("concurrent pull %d: %s\n%s", i, r, d.Log())
		}
	}
	for _, l := range []v1.Layer{base, big} {
		dg, _ := l.Digest()
		if n := counter.get(dg.String()); n != 1 {
			t.Errorf("shared blob %s downloaded %d times, want 1", dg, n)
		}
	}
	r := d.Tug("pull", host+"/c:v1")
	mustContain(t, "pull c", r.Stdout, "Already exists", "Pull complete", "Status: Downloaded newer image for "+host+"/c:v1")
	for _, name := range []string{"a", "b", "c"} {
		if r := d.Tug("run", "--rm", host+"/"+name+":v1"); r.Stdout != "image-"+name+"\n" {
			t.Errorf("run %s: %s", name, r)
		}
	}

	// A manifest list with an arm64 and an amd64 image.
	arm, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	amd := makeImage(t, []string{"echo", "from-index"}, base)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	idxDigest := pushIndex(t, host+"/multi:v1", idx)
	r = d.Tug("pull", host+"/multi:v1")
	if r.ExitCode != 0 {
		t.Fatalf("pull index: %s", r)
	}
	mustContain(t, "pull index", r.Stdout, "Digest: "+idxDigest.String())
	if r := d.Tug("run", "--rm", host+"/multi:v1"); r.Stdout != "from-index\n" {
		t.Errorf("run index image: %s", r)
	}
	r = d.Tug("pull", "--platform", "linux/s390x", host+"/multi:v1")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "no matching manifest for linux/s390x") {
		t.Errorf("pull for a missing platform: %s", r)
	}
}

// TestRunPullsMissing covers run's automatic pull and --pull.
func TestRunPullsMissing(t *testing.T) {
	d := testutil.StartDaemon(t)
	host, _ := startRegistry(t, nil)
	ref := host + "/auto:v1"
	push(t, ref, makeImage(t, []string{"echo", "auto"}, busyboxLayer(t)))

	if r := d.Tug("run", "--rm", "--pull", "never", ref); r.ExitCode != 125 || !strings.Contains(r.Stderr, "No such image") {
		t.Errorf("run --pull never of a missing image: %s", r)
	}
	r := d.Tug("run", "--rm", ref)
	if r.ExitCode != 0 || r.Stdout != "auto\n" {
		t.Fatalf("run pulling a missing image: %s\n%s", r, d.Log())
	}
	mustContain(t, "run stderr", r.Stderr, "Unable to find image '"+ref+"' locally", "Pull complete")
	r = d.Tug("run", "--rm", "--pull", "always", ref)
	if r.ExitCode != 0 || r.Stdout != "auto\n" || !strings.Contains(r.Stderr, "Image is up to date") {
		t.Errorf("run --pull always: %s", r)
	}
	if r := d.Tug("run", "--rm", host+"/auto:nosuch"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "manifest for "+host+"/auto:nosuch not found: manifest unknown") {
		t.Errorf("run of an unknown tag: %s", r)
	}
}

// TestPullErrors: unknown tag and repository, unreachable registry.
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

// TestCorruptBlobAndRegistryDeath: a blob with a flipped byte, and a
// registry dropping the connection mid-layer, fail cleanly and leave the
// store as it was; a retry against a healthy registry succeeds.
func TestCorruptBlobAndRegistryDeath(t *testing.T) {
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

// tokenAuth wraps a registry in Docker Hub's Bearer token flow: /v2/
// answers 401 with a challenge; /token hands out a token for user:pass
// (and a useless one to anonymous callers).
func tokenAuth(user, pass string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				tok := "anonymous"
				if u, p, ok := r.BasicAuth(); ok {
					if u != user || p != pass {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(http.StatusUnauthorized)
						fmt.Fprint(w, `{"details":"incorrect username or password"}`)
						return
					}
					tok = "good"
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]string{"token": tok, "access_token": tok})
				return
			}
			if r.Header.Get("Authorization") != "Bearer good" {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test-registry"`, r.Host))
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

func TestTokenAuthLogin(t *testing.T) {
	d := testutil.StartDaemon(t)
	host, _ := startRegistry(t, tokenAuth("alice", "s3cret"))
	cfg := t.TempDir()
	ref := host + "/private:v1"
	d.ImportBusybox(ref)

	if r := d.Tug("--config", cfg, "push", ref); r.ExitCode != 1 || !strings.Contains(r.Stderr, "unauthorized") {
		t.Errorf("push without login: %s", r)
	}
	if r := d.Tug("--config", cfg, "login", "-u", "alice", "-p", "wrong", host); r.ExitCode != 1 || !strings.Contains(r.Stderr, "unauthorized") {
		t.Errorf("login with a wrong password: %s", r)
	}
	r := d.TugIn("s3cret\n", "--config", cfg, "login", "-u", "alice", "--password-stdin", host)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "Login Succeeded") {
		t.Fatalf("login: %s\n%s", r, d.Log())
	}
	b, err := os.ReadFile(filepath.Join(cfg, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cf struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(b, &cf); err != nil || cf.Auths[host].Auth != base64.StdEncoding.EncodeToString([]byte("alice:s3cret")) {
		t.Errorf("config.json = %s (%v)", b, err)
	}
	if r := d.Tug("--config", cfg, "push", ref); r.ExitCode != 0 {
		t.Fatalf("push after login: %s", r)
	}
	if r := d.Tug("rmi", ref); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("--config", t.TempDir(), "pull", ref); r.ExitCode != 1 || !strings.Contains(r.Stderr, "pull access denied for "+host+"/private") {
		t.Errorf("pull without credentials: %s", r)
	}
	if r := d.Tug("--config", cfg, "pull", ref); r.ExitCode != 0 {
		t.Fatalf("pull with credentials: %s", r)
	}
	if r := d.Tug("--config", cfg, "run", "--rm", ref, "echo", "private"); r.Stdout != "private\n" {
		t.Errorf("run: %s", r)
	}
	if r := d.Tug("--config", cfg, "logout", host); !strings.Contains(r.Stdout, "Removing login credentials for "+host) {
		t.Errorf("logout: %s", r)
	}
	if b, _ := os.ReadFile(filepath.Join(cfg, "config.json")); strings.Contains(string(b), host) {
		t.Errorf("config.json after logout: %s", b)
	}
}

// TestDockerCLI pulls and pushes through the stock docker CLI.
func TestDockerCLI(t *testing.T) {
	d := testutil.StartDaemon(t)
	host, _ := startRegistry(t, nil)
	ref := host + "/dock:v1"
	push(t, ref, makeImage(t, []string{"echo", "via-docker"}, busyboxLayer(t)))
	r := d.Docker("pull", ref)
	if r.ExitCode != 0 {
		t.Fatalf("docker pull: %s\n%s", r, d.Log())
	}
	mustContain(t, "docker pull", r.Stdout, "Pull complete", "Status: Downloaded newer image for "+ref)
	if r := d.Tug("run", "--rm", ref); r.Stdout != "via-docker\n" {
		t.Errorf("run of the image docker pulled: %s", r)
	}
	if r := d.Docker("tag", ref, host+"/copy:v2"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	r = d.Docker("push", host+"/copy:v2")
	if r.ExitCode != 0 {
		t.Fatalf("docker push: %s", r)
	}
	// The in-process registry keeps blobs across repositories, so the
	// layer is there already (a registry with per-repository blobs would
	// answer the cross-repository mount instead).
	mustContain(t, "docker push", r.Stdout, "The push refers to repository ["+host+"/copy]", "Layer already exists", "v2: digest: sha256:")
	if r := d.Docker("pull", host+"/dock:nosuch"); r.ExitCode != 1 || !strings.Contains(r.Stderr, "manifest unknown") {
		t.Errorf("docker pull unknown tag: %s", r)
	}
}
