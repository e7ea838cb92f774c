package logger

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		opts    map[string]string
		want    Rotation
		wantErr string
	}{
		{nil, Rotation{MaxFiles: 1}, ""},
		{map[string]string{"max-size": "10m", "max-file": "3"}, Rotation{MaxSize: 10_000_000, MaxFiles: 3}, ""},
		{map[string]string{"max-size": "1k"}, Rotation{MaxSize: 1000, MaxFiles: 1}, ""},
		{map[string]string{"max-size": "1k", "compress": "false"}, Rotation{MaxSize: 1000, MaxFiles: 1}, ""},
		{map[string]string{"tag": "x"}, Rotation{}, "log opt 'tag' is not supported by tug's json-file log driver: its records carry no attributes"},
		{map[string]string{"labels": "a"}, Rotation{}, "log opt 'labels' is not supported by tug's json-file log driver: its records carry no attributes"},
		{map[string]string{"env": "B"}, Rotation{}, "log opt 'env' is not supported by tug's json-file log driver: its records carry no attributes"},
		{map[string]string{"x": "1"}, Rotation{}, "unknown log opt 'x' for json-file log driver"},
		{map[string]string{"max-size": "lots"}, Rotation{}, "max-size: invalid size: 'lots'"},
		{map[string]string{"max-size": ""}, Rotation{}, "max-size: invalid size: ''"},
		{map[string]string{"max-size": "0"}, Rotation{}, "max-size must be a positive number"},
		{map[string]string{"max-size": "1k", "max-file": "0"}, Rotation{}, "max-file cannot be less than 1"},
		{map[string]string{"max-size": "1k", "max-file": "three"}, Rotation{}, "max-file: invalid number 'three'"},
		{map[string]string{"max-file": "3"}, Rotation{MaxFiles: 3}, ""},
		{map[string]string{"max-size": "1k", "compress": "true"}, Rotation{}, "compress is not supported by tug's json-file log driver"},
	}
	for _, tt := range tests {
		got, err := ParseOptions(tt.opts)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseOptions(%v) = %v, want error %q", tt.opts, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseOptions(%v) = %+v, %v, want %+v", tt.opts, got, err, tt.want)
		}
	}
}

// numbered returns the lines "line 00\n" ... (all records the same size).
func numbered(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("stdout:line %02d\n", i))
	}
	return out
}

var recSize = int64(len(AppendRecord(nil, "stdout", []byte("line 00\n"), t0)))

// writeNumbered writes records 1..n to a log rotating every 3 records,
// one write per record or all in one write.
func writeNumbered(t *testing.T, path string, n, maxFiles int, batch bool) {
	t.Helper()
	f, err := OpenRotating(path, Rotation{MaxSize: 3 * recSize, MaxFiles: maxFiles})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []byte
	for i := 1; i <= n; i++ {
		line := []byte(fmt.Sprintf("line %02d\n", i))
		if batch {
			all = AppendRecord(all, "stdout", line, t0)
		} else if err := f.WriteRecord("stdout", line, t0); err != nil {
			t.Fatal(err)
		}
	}
	if batch {
		if err := f.writeRecords(all); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRotation(t *testing.T) {
	tests := []struct {
		maxFiles int
		batch    bool
		files    map[string][]string // name suffix -> records
	}{
		{1, false, map[string][]string{"": numbered(10, 10)}},
		{2, false, map[string][]string{"": numbered(10, 10), ".1": numbered(7, 9)}},
		{3, false, map[string][]string{"": numbered(10, 10), ".1": numbered(7, 9), ".2": numbered(4, 6)}},
		{3, true, map[string][]string{"": numbered(10, 10), ".1": numbered(7, 9), ".2": numbered(4, 6)}},
		{5, true, map[string][]string{"": numbered(10, 10), ".1": numbered(7, 9), ".2": numbered(4, 6), ".3": numbered(1, 3)}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max-file=%d,batch=%v", tt.maxFiles, tt.batch), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "c-json.log")
			writeNumbered(t, path, 10, tt.maxFiles, tt.batch)
			ents, _ := os.ReadDir(dir)
			got := map[string][]string{}
			for _, e := range ents {
				p := filepath.Join(dir, e.Name())
				st, _ := os.Stat(p)
				if st.Size() > 3*recSize {
					t.Errorf("%s is %d bytes, want <= %d", e.Name(), st.Size(), 3*recSize)
				}
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				recs, err := readFile(f)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				got[strings.TrimPrefix(e.Name(), "c-json.log")] = lines(recs)
			}
			if diff := cmp.Diff(tt.files, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

// readFile reads one file's records, without rotation.
func readFile(f *os.File) ([]Record, error) {
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l == "" {
			continue
		}
		var r Record
		var e struct{ Log, Stream string }
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			return nil, err
		}
		r.Stream, r.Line = e.Stream, []byte(e.Log)
		out = append(out, r)
	}
	return out, nil
}

func TestRotationBigRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	f, err := OpenRotating(path, Rotation{MaxSize: 100, MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	big := strings.Repeat("b", 200) + "\n"
	for _, l := range []string{"a\n", big, "c\n"} {
		if err := f.WriteRecord("stdout", []byte(l), t0); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"stdout:a\n", "stdout:" + big, "stdout:c\n"}
	if diff := cmp.Diff(want, lines(readAll(t, path, ReadOptions{Tail: -1}))); diff != "" {
		t.Errorf("Read() (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Errorf("%s.3 exists, want at most 3 files", path)
	}
}

func TestReadAcrossRotations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	writeNumbered(t, path, 10, 3, false) // files hold 4-6, 7-9, 10
	tests := []struct {
		tail int
		want []string
	}{
		{-1, numbered(4, 10)},
		{0, nil},
		{1, numbered(10, 10)},
		{2, numbered(9, 10)},
		{4, numbered(7, 10)},
		{5, numbered(6, 10)},
		{7, numbered(4, 10)},
		{100, numbered(4, 10)},
	}
	for _, tt := range tests {
		got := lines(readAll(t, path, ReadOptions{Tail: tt.tail}))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Read(tail=%d) (-want +got):\n%s", tt.tail, diff)
		}
	}
}

// TestFollowAcrossRotations writes while a follow reads: every record
// arrives once, in order, though the file rotates every two records.
func TestFollowAcrossRotations(t *testing.T) {
	for _, maxFiles := range []int{2, 40} {
		t.Run(fmt.Sprintf("max-file=%d", maxFiles), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c-json.log")
			f, err := OpenRotating(path, Rotation{MaxSize: 2 * recSize, MaxFiles: maxFiles})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			const n = 60
			stopped := make(chan struct{})
			got := make(chan Record, n+10)
			done := make(chan error, 1)
			go func() {
				done <- Read(context.Background(), path, ReadOptions{Tail: -1, Follow: true, Stopped: stopped}, func(r Record) error {
					got <- r
					return nil
				})
			}()
			var recs []Record
			for i := 1; i <= n; i++ {
				if err := f.WriteRecord("stdout", []byte(fmt.Sprintf("line %02d\n", i)), t0); err != nil {
					t.Fatal(err)
				}
				// With max-file=2 a slow reader could lose a dropped
				// file; wait for each record (no timing assumptions).
				// With max-file=40 nothing is dropped: write in bursts.
				if maxFiles == 2 || i%20 == 0 {
					for len(recs) < i {
						select {
						case r := <-got:
							recs = append(recs, r)
						case <-time.After(30 * time.Second):
							t.Fatalf("follow got %d records, want %d: %v", len(recs), i, lines(recs))
						}
					}
				}
			}
			close(stopped)
			if err := <-done; err != nil {
				t.Fatalf("Read() = %v", err)
			}
			close(got)
			for r := range got {
				recs = append(recs, r)
			}
			if diff := cmp.Diff(numbered(1, n), lines(recs)); diff != "" {
				t.Errorf("followed (-want +got):\n%s", diff)
			}
		})
	}
}
