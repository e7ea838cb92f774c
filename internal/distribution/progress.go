package distribution

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
)

// progress writes Docker's JSON progress messages; safe for concurrent use.
// Write errors (a client gone) are dropped: the request's context ends the work.
type progress struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{enc: json.NewEncoder(w)}
}

func (p *progress) msg(m jsonstream.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.enc.Encode(m)
}

// status writes a status line for id ("" for none).
func (p *progress) status(id, status string) {
	m := jsonstream.Message{ID: id, Status: status}
	if id != "" {
		m.Progress = &jsonstream.Progress{}
	}
	p.msg(m)
}

func (p *progress) aux(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	raw := json.RawMessage(b)
	p.msg(jsonstream.Message{Aux: &raw})
}

// shortID is the layer ID Docker shows: 12 hex digits of the blob digest.
func shortID(d digest.Digest) string {
	s := d.Encoded()
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}

// counter reports bytes read as throttled "Downloading"-style messages.
type counter struct {
	r      io.Reader
	p      *progress
	id     string
	action string
	total  int64
	n      int64
	start  int64
	last   time.Time
	lastN  int64
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if now := time.Now(); c.n != c.lastN && (now.Sub(c.last) >= 100*time.Millisecond || c.n-c.lastN >= 4<<20 || err == io.EOF || c.n == c.total) {
		c.last, c.lastN = now, c.n
		c.p.msg(jsonstream.Message{ID: c.id, Status: c.action, Progress: &jsonstream.Progress{Current: c.n, Total: c.total, Start: c.start}})
	}
	return n, err
}
