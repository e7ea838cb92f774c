package trace

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Env names the file spans are appended to.
const Env = "TUG_TRACE"

// Record is one span as written to the file.
type Record struct {
	Name  string `json:"name"`
	Pid   int    `json:"pid"`
	Start int64  `json:"start"` // Unix nanoseconds
	End   int64  `json:"end"`
}

var (
	once sync.Once
	out  *os.File
	pid  int
)

func file() *os.File {
	once.Do(func() {
		path := os.Getenv(Env)
		if path == "" || !filepath.IsAbs(path) {
			return
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return
		}
		out, pid = f, os.Getpid()
	})
	return out
}

// Enabled reports whether spans are recorded.
func Enabled() bool { return file() != nil }

// Span starts a span and returns the function that ends and records it:
// `defer trace.Span("start/bundle")()`.
func Span(name string) func() {
	if file() == nil {
		return func() {}
	}
	start := time.Now()
	return func() { Add(name, start, time.Now()) }
}

// Add records a span that has already ended.
func Add(name string, start, end time.Time) {
	f := file()
	if f == nil {
		return
	}
	b, err := json.Marshal(Record{Name: name, Pid: pid, Start: start.UnixNano(), End: end.UnixNano()})
	if err != nil {
		return
	}
	// One write per line: O_APPEND keeps lines of several processes whole.
	_, _ = f.Write(append(b, '\n'))
}

// Read returns the spans recorded in path, skipping lines that do not parse.
func Read(path string) ([]Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var recs []Record
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		var r Record
		if json.Unmarshal(line, &r) == nil && r.Name != "" {
			recs = append(recs, r)
		}
	}
	return recs, nil
}

// Duration is the span's length.
func (r Record) Duration() time.Duration { return time.Duration(r.End - r.Start) }

// String is the span's name and length, for logs.
func (r Record) String() string {
	return r.Name + " " + strconv.FormatFloat(float64(r.End-r.Start)/1e6, 'f', 2, 64) + "ms"
}
