package trace

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSpansAreAppendedToTheFileNamedByTheEnvironment records a span and
// an added one and reads both back.
func TestSpansAreAppendedToTheFileNamedByTheEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	t.Setenv(Env, path)
	once, out = sync.Once{}, nil
	t.Cleanup(func() {
		if out != nil {
			out.Close()
		}
		once, out = sync.Once{}, nil
	})

	end := Span("start/bundle")
	time.Sleep(time.Millisecond) // a span with a length
	end()
	at := time.Unix(100, 0)
	Add("shim/main", at, at.Add(time.Second))
	if err := os.WriteFile(path+".x", nil, 0o600); err != nil { // unrelated file: no effect
		t.Fatal(err)
	}

	recs, err := Read(path)
	if err != nil {
		t.Fatalf("Read() = %v", err)
	}
	if len(recs) != 2 {
		t.Fatalf("Read() = %v, want 2 spans", recs)
	}
	if recs[0].Name != "start/bundle" || recs[0].Duration() < time.Millisecond || recs[0].Pid != os.Getpid() {
		t.Errorf("first span = %+v, want start/bundle of at least 1ms by this process", recs[0])
	}
	if recs[1].Name != "shim/main" || recs[1].Start != at.UnixNano() || recs[1].Duration() != time.Second {
		t.Errorf("second span = %+v, want shim/main at %v lasting 1s", recs[1], at)
	}
}

// TestSpansAreNotRecordedWithoutTheEnvironment: no $TUG_TRACE, no file.
func TestSpansAreNotRecordedWithoutTheEnvironment(t *testing.T) {
	t.Setenv(Env, "")
	once, out = sync.Once{}, nil
	t.Cleanup(func() { once, out = sync.Once{}, nil })
	Span("x")()
	if Enabled() {
		t.Fatal("Enabled() = true without $TUG_TRACE")
	}
}
