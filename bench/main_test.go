package main

import (
	"os"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name        string
		samples     []time.Duration
		median, p90 time.Duration
	}{
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond},
		{"odd unsorted", ms(30, 10, 20), 20 * time.Millisecond, 30 * time.Millisecond},
		{"even", ms(1, 2, 3, 4), 2500 * time.Microsecond, 4 * time.Millisecond},
		{"ten", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 5500 * time.Microsecond, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(tt.samples)
			if got.median != tt.median || got.p90 != tt.p90 || got.n != len(tt.samples) {
				t.Fatalf("summarize(%v) = %+v, want median %v p90 %v", tt.samples, got, tt.median, tt.p90)
			}
		})
	}
}

func TestUnescapeMount(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/tmp/a", "/tmp/a"},
		{`/tmp/a\040b`, "/tmp/a b"},
		{`/tmp/x\134y`, `/tmp/x\y`},
	}
	for _, tt := range tests {
		if got := unescapeMount(tt.in); got != tt.want {
			t.Fatalf("unescapeMount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStatusFieldsOfSelf(t *testing.T) {
	pid := os.Getpid()
	if n, err := threads(pid); err != nil || n < 1 {
		t.Errorf("threads(self) = %d, %v; want at least 1", n, err)
	}
	if kb, err := rssKB(pid); err != nil || kb <= 0 {
		t.Errorf("rssKB(self) = %d, %v; want > 0", kb, err)
	}
	if _, err := statusField(pid, "NoSuchField"); err == nil {
		t.Error("statusField(NoSuchField) = nil error, want one")
	}
}
