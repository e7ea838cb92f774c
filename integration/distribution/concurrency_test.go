package distribution

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tug-project/tug/internal/testutil"
)

// transferGauge wraps a registry and records the most blob downloads and
// uploads it saw at once; each is slowed so that overlaps show.
type transferGauge struct {
	mu                       sync.Mutex
	down, up, maxDown, maxUp int
}

func (g *transferGauge) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n, most *int
		switch {
		case r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:"):
			n, most = &g.down, &g.maxDown
		case (r.Method == http.MethodPatch || r.Method == http.MethodPut) && strings.Contains(r.URL.Path, "/blobs/uploads/"):
			n, most = &g.up, &g.maxUp
		default:
			h.ServeHTTP(w, r)
			return
		}
		g.mu.Lock()
		*n++
		*most = max(*most, *n)
		g.mu.Unlock()
		time.Sleep(150 * time.Millisecond)
		h.ServeHTTP(w, r)
		g.mu.Lock()
		*n--
		g.mu.Unlock()
	})
}

// TestMaxConcurrentTransfersFromDaemonJSON: daemon.json
// max-concurrent-downloads and max-concurrent-uploads bound the layers in
// flight, over all pulls and pushes of the daemon.
func TestMaxConcurrentTransfersFromDaemonJSON(t *testing.T) {
	d := testutil.StartDaemon(t)
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(cfg, []byte(`{"max-concurrent-downloads": 1, "max-concurrent-uploads": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Kill()
	d.Args = []string{"--config-file", cfg}
	d.Start()

	g := &transferGauge{}
	host, _ := startRegistry(t, g.wrap)
	layers := []v1.Layer{busyboxLayer(t)}
	for range 3 {
		layers = append(layers, randomLayer(t, 4096))
	}
	push(t, host+"/many:v1", makeImage(t, []string{"true"}, layers...))
	g.mu.Lock()
	g.maxDown, g.maxUp = 0, 0 // the set-up push above is go-containerregistry's, not tugd's
	g.mu.Unlock()

	if r := d.Tug("pull", host+"/many:v1"); r.ExitCode != 0 {
		t.Fatalf("pull: %s", r)
	}
	// Another registry, so that every layer is uploaded (not mounted).
	other, _ := startRegistry(t, g.wrap)
	if r := d.Tug("tag", host+"/many:v1", other+"/copy:v1"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("push", other+"/copy:v1"); r.ExitCode != 0 {
		t.Fatalf("push: %s", r)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.maxDown != 1 {
		t.Errorf("most layer downloads at once = %d, want 1 (max-concurrent-downloads)", g.maxDown)
	}
	if g.maxUp != 1 { // 0 would mean nothing was uploaded
		t.Errorf("most layer uploads at once = %d, want 1 (max-concurrent-uploads)", g.maxUp)
	}
}
