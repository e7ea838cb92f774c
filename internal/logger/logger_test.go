package logger

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tug-project/tug/internal/testutil"
)

var t0 = time.Date(2026, 11, 26, 21, 8, 25, 123456789, time.UTC)

func TestAppendRecord(t *testing.T) {
	tests := []struct {
		stream, line string
		t            time.Time
		want         string
	}{
		{"stdout", "hi\n", t0, `{"log":"hi\n","stream":"stdout","time":"2026-11-26T21:08:25.123456789Z"}` + "\n"},
		{"stderr", "a<b>&\"\\\t\r\x01", t0.Add(-123456789), `{"log":"a\u003cb\u003e\u0026\"\\\t\r\u0001","stream":"stderr","time":"2026-11-26T21:08:25Z"}` + "\n"},
		{"stdout", "bad\xffutf8 \u2028 é", t0.Add(-9), `{"log":"bad\ufffdutf8 \u2028 é","stream":"stdout","time":"2026-11-26T21:08:25.12345678Z"}` + "\n"},
	}
	for _, tt := range tests {
		got := string(AppendRecord(nil, tt.stream, []byte(tt.line), tt.t))
		if got != tt.want {
			t.Errorf("AppendRecord(%q) = %s, want %s", tt.line, got, tt.want)
		}
		// Same as encoding/json (which is what Docker's output matches).
		want, _ := json.Marshal(tt.line)
		if !strings.Contains(got, string(want)) {
			t.Errorf("AppendRecord(%q) = %s, want log %s", tt.line, got, want)
		}
	}
}

func readAll(t *testing.T, path string, opts ReadOptions) []Record {
	t.Helper()
	var got []Record
	err := Read(context.Background(), path, opts, func(r Record) error {
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Read() = %v", err)
	}
	return got
}

func lines(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Stream+":"+string(r.Line))
	}
	return out
}

func TestLineWriterSplit(t *testing.T) {
	long := strings.Repeat("x", MaxLineSize)
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"one line", []string{"hi\n"}, []string{"stdout:hi\n"}},
		{"two lines one write", []string{"a\nb\n"}, []string{"stdout:a\n", "stdout:b\n"}},
		{"split across writes", []string{"he", "llo\nwor", "ld\n"}, []string{"stdout:hello\n", "stdout:world\n"}},
		{"unterminated last", []string{"a\nb"}, []string{"stdout:a\n", "stdout:b"}},
		{"empty lines", []string{"\n\n"}, []string{"stdout:\n", "stdout:\n"}},
		{"long partial", []string{long + "yz\n"}, []string{"stdout:" + long, "stdout:yz\n"}},
		{"long in pieces", []string{long[:100], long[100:], "q"}, []string{"stdout:" + long, "stdout:q"}},
		{"exactly max with newline", []string{long[1:] + "\n"}, []string{"stdout:" + long[1:] + "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log.json")
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			w := NewLineWriter(f, "stdout")
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
					t.Fatalf("Write() = %d, %v", n, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if diff := cmp.Diff(tt.want, lines(readAll(t, path, ReadOptions{Tail: -1}))); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func writeLog(t *testing.T, recs []Record) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log.json")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, r := range recs {
		if err := f.WriteRecord(r.Stream, r.Line, r.Time); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestReadFilters(t *testing.T) {
	var recs []Record
	for i := range 10 {
		s := "stdout"
		if i%2 == 1 {
			s = "stderr"
		}
		recs = append(recs, Record{Stream: s, Line: []byte{byte('0' + i), '\n'}, Time: t0.Add(time.Duration(i) * time.Second)})
	}
	path := writeLog(t, recs)
	tests := []struct {
		name string
		opts ReadOptions
		want string
	}{
		{"all", ReadOptions{Tail: -1}, "0123456789"},
		{"stdout", ReadOptions{Tail: -1, Stdout: true}, "02468"},
		{"stderr", ReadOptions{Tail: -1, Stderr: true}, "13579"},
		{"tail 3", ReadOptions{Tail: 3}, "789"},
		{"tail 0", ReadOptions{Tail: 0}, ""},
		{"tail 100", ReadOptions{Tail: 100}, "0123456789"},
		{"tail 3 stdout", ReadOptions{Tail: 3, Stdout: true}, "8"},
		{"since", ReadOptions{Tail: -1, Since: t0.Add(7 * time.Second)}, "789"},
		{"until", ReadOptions{Tail: -1, Until: t0.Add(2 * time.Second)}, "012"},
		{"since until", ReadOptions{Tail: -1, Since: t0.Add(4 * time.Second), Until: t0.Add(5 * time.Second)}, "45"},
		{"tail since", ReadOptions{Tail: 5, Since: t0.Add(8 * time.Second)}, "89"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got strings.Builder
			for _, r := range readAll(t, path, tt.opts) {
				got.WriteByte(r.Line[0])
			}
			if got.String() != tt.want {
				t.Errorf("Read(%+v) = %q, want %q", tt.opts, got.String(), tt.want)
			}
		})
	}
}

func TestTailOffsetBigFile(t *testing.T) {
	var recs []Record
	for i := range 5000 {
		recs = append(recs, Record{Stream: "stdout", Line: []byte(strings.Repeat("y", i%50) + "\n"), Time: t0})
	}
	path := writeLog(t, recs)
	got := readAll(t, path, ReadOptions{Tail: 1234})
	if len(got) != 1234 {
		t.Fatalf("len(Read(tail 1234)) = %d", len(got))
	}
	if diff := cmp.Diff(lines(recs[5000-1234:]), lines(got)); diff != "" {
		t.Errorf("tail (-want +got):\n%s", diff)
	}
}

func TestMissingFile(t *testing.T) {
	if got := readAll(t, filepath.Join(t.TempDir(), "nope"), ReadOptions{Tail: -1}); len(got) != 0 {
		t.Errorf("Read(missing) = %v, want nothing", got)
	}
}

func TestFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.json")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewLineWriter(f, "stdout")
	w.Write([]byte("first\n"))

	stopped := make(chan struct{})
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- Read(context.Background(), path, ReadOptions{Tail: -1, Follow: true, Stopped: stopped}, func(r Record) error {
			got <- string(r.Line)
			return nil
		})
	}()
	expect := func(want string) {
		t.Helper()
		select {
		case s := <-got:
			if s != want {
				t.Fatalf("followed %q, want %q", s, want)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("no record %q", want)
		}
	}
	expect("first\n")
	start := time.Now()
	w.Write([]byte("second\n"))
	expect("second\n")
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("follow latency %v, want inotify speed", d)
	}
	w.Write([]byte("last\n"))
	close(stopped)
	expect("last\n")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Read() = %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("follow did not return after stop")
	}

	// ctx cancel ends a follow: cancelled once the follow has delivered a
	// line written after it started (lines are written until it has).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		testutil.WaitFor(10*time.Second, func() bool {
			w.Write([]byte("more\n"))
			return ctx.Err() != nil
		})
	}()
	err = Read(ctx, path, ReadOptions{Tail: 0, Follow: true}, func(Record) error { cancel(); return nil })
	if err != context.Canceled {
		t.Fatalf("Read(cancelled) = %v, want context.Canceled", err)
	}
	_ = os.Remove(path)
}
