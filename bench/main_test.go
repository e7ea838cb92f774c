package main

import (
	"os"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/trace"
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

// TestPhasesGroupSpansByRunAndName: the spans of each run's window become
// phases with median offsets and lengths; a repeated name is numbered; the
// CLI's own stretches are added; spans outside every window are left out.
func TestPhasesGroupSpansByRunAndName(t *testing.T) {
	base := time.Unix(1000, 0)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	span := func(name string, from, to int) trace.Record {
		return trace.Record{Name: name, Start: at(from).UnixNano(), End: at(to).UnixNano()}
	}
	recs := []trace.Record{
		span("api POST /containers/create", 10, 14),
		span("start/save", 20, 22),
		span("start/save", 30, 31),
		span("api POST /containers/create", 110, 116),
		span("start/save", 120, 124),
		span("outside", 300, 301),
	}
	windows := []window{{at(0), at(50)}, {at(100), at(160)}}
	bd := phases("run x", recs, windows)
	got := map[string]phase{}
	for _, p := range bd.phases {
		got[p.name] = p
	}
	want := map[string]phase{
		"api POST /containers/create":    {at: 10 * time.Millisecond, took: 5 * time.Millisecond, runs: 2},
		"start/save":                     {at: 20 * time.Millisecond, took: 3 * time.Millisecond, runs: 2},
		"start/save (2)":                 {at: 30 * time.Millisecond, took: time.Millisecond, runs: 1},
		"cli: exec to first API request": {at: 0, took: 10 * time.Millisecond, runs: 2},
		"cli: last API response to exit": {at: 15 * time.Millisecond, took: 40 * time.Millisecond, runs: 2},
		"total (CLI exec to exit)":       {at: 0, took: 55 * time.Millisecond, runs: 2},
	}
	if len(got) != len(want) {
		t.Fatalf("phases = %+v, want %d of them", bd.phases, len(want))
	}
	for name, w := range want {
		g := got[name]
		if g.at != w.at || g.took != w.took || g.runs != w.runs {
			t.Errorf("phase %q = at %v took %v runs %d, want at %v took %v runs %d", name, g.at, g.took, g.runs, w.at, w.took, w.runs)
		}
	}
}
