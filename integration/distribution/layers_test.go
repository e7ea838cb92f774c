package distribution

import (
	"net/http"
	"regexp"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

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

// Two images sharing layers pulled at once download each shared blob
// once; a third image sharing one finds it there ("Already exists").
func TestConcurrentPullsShareLayers(t *testing.T) {
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
}
