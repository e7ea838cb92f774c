package logger

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAppendCRIRecord(t *testing.T) {
	ts := time.Date(2026, 12, 3, 10, 0, 0, 123456789, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		stream, line, want string
	}{
		{"stdout", "hello\n", "2026-12-03T09:00:00.123456789Z stdout F hello\n"},
		{"stderr", "part", "2026-12-03T09:00:00.123456789Z stderr P part\n"},
		{"stdout", "\n", "2026-12-03T09:00:00.123456789Z stdout F \n"},
		{"stdout", `{"json": "<as is>"}` + "\n", `2026-12-03T09:00:00.123456789Z stdout F {"json": "<as is>"}` + "\n"},
	} {
		if got := string(AppendCRIRecord(nil, tc.stream, []byte(tc.line), ts)); got != tc.want {
			t.Errorf("AppendCRIRecord(%q, %q) = %q, want %q", tc.stream, tc.line, got, tc.want)
		}
	}
}

// A CRI log file gets one record a line; a line longer than MaxLineSize
// is split into partial records and a full last one, as kubelets expect.
func TestCRILogSplitsLongLinesIntoPartials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	f, err := OpenCRI(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewLineWriter(f, "stdout")
	long := strings.Repeat("x", MaxLineSize+10)
	if _, err := w.Write([]byte("one\n" + long + "\ntail")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(path)
	var tags []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		fields := strings.SplitN(l, " ", 4)
		if len(fields) != 4 {
			t.Fatalf("record %q is not <time> <stream> <tag> <text>", l)
		}
		tags = append(tags, fields[2]+":"+strings.TrimLeft(fields[3], "x")+":"+string(rune('0'+len(fields[3])/MaxLineSize)))
	}
	want := []string{"F:one:0", "P::1", "F::0", "P:tail:0"}
	if strings.Join(tags, " ") != strings.Join(want, " ") {
		t.Errorf("records = %v, want %v", tags, want)
	}
}

// Reopen starts a new file at the path after the old one was renamed.
func TestReopenAfterRename(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	f, err := OpenCRI(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts := time.Unix(0, 0)
	_ = f.WriteRecord("stdout", []byte("one\n"), ts)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := f.Reopen(); err != nil {
		t.Fatal(err)
	}
	_ = f.WriteRecord("stdout", []byte("two\n"), ts)
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(old), " F one\n") || string(cur) != "1970-01-01T00:00:00Z stdout F two\n" {
		t.Errorf("renamed file %q, new file %q", old, cur)
	}
}
