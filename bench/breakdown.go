package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tug-project/tug/internal/trace"
)

// window is when one measured CLI run started and ended.
type window struct{ start, end time.Time }

// breakdown is where the time of one measured command went on tug: the
// spans tugd and its shims recorded ($TUG_TRACE, internal/trace) during
// each run, as medians over the runs.
type breakdown struct {
	command string
	runs    int
	phases  []phase
}

// phase is one named span (or a stretch between spans) of a run.
type phase struct {
	name     string
	at, took time.Duration // medians: start after the CLI's exec, length
	runs     int           // runs it occurred in
}

// addBreakdown reads the spans tugd recorded during the runs in windows
// and keeps their per-phase medians for printing after the table.
func (b *bench) addBreakdown(e *engine, command string, windows []window) {
	recs, err := trace.Read(e.trace)
	if err != nil {
		b.notes = append(b.notes, fmt.Sprintf("breakdown of %s: %v", command, err))
		return
	}
	b.breakdowns = append(b.breakdowns, phases(command, recs, windows))
}

// phases groups the spans that fall inside each window by name (the k-th
// span of a name in a run is its own phase) and adds the stretches the
// daemon does not see: the CLI's start before its first API request and
// its exit after the last response.
func phases(command string, recs []trace.Record, windows []window) breakdown {
	type samples struct{ at, took []time.Duration }
	byName := map[string]*samples{}
	add := func(name string, at, took time.Duration) {
		s := byName[name]
		if s == nil {
			s = &samples{}
			byName[name] = s
		}
		s.at = append(s.at, at)
		s.took = append(s.took, took)
	}
	for _, w := range windows {
		var in []trace.Record
		for _, r := range recs {
			if r.Start >= w.start.UnixNano() && r.End <= w.end.UnixNano() {
				in = append(in, r)
			}
		}
		sort.Slice(in, func(i, j int) bool { return in[i].Start < in[j].Start })
		seen := map[string]int{}
		firstAPI, lastAPI := int64(0), int64(0)
		for _, r := range in {
			name := r.Name
			if n := seen[r.Name]; n > 0 {
				name = fmt.Sprintf("%s (%d)", r.Name, n+1)
			}
			seen[r.Name]++
			add(name, time.Duration(r.Start-w.start.UnixNano()), r.Duration())
			if strings.HasPrefix(r.Name, "api ") {
				if firstAPI == 0 {
					firstAPI = r.Start
				}
				lastAPI = max(lastAPI, r.End)
			}
		}
		if firstAPI != 0 {
			add("cli: exec to first API request", 0, time.Duration(firstAPI-w.start.UnixNano()))
			add("cli: last API response to exit", time.Duration(lastAPI-w.start.UnixNano()), time.Duration(w.end.UnixNano()-lastAPI))
		}
		add("total (CLI exec to exit)", 0, w.end.Sub(w.start))
	}
	bd := breakdown{command: command, runs: len(windows)}
	for name, s := range byName {
		bd.phases = append(bd.phases, phase{name: name, at: summarize(s.at).median, took: summarize(s.took).median, runs: len(s.at)})
	}
	sort.Slice(bd.phases, func(i, j int) bool {
		a, c := bd.phases[i], bd.phases[j]
		if a.at != c.at {
			return a.at < c.at
		}
		return a.took > c.took // the enclosing span first
	})
	return bd
}

// printBreakdowns prints each breakdown as a table of phases in the order
// they begin.
func (b *bench) printBreakdowns(w io.Writer) {
	for _, bd := range b.breakdowns {
		fmt.Fprintf(w, "\nwhere the time of `tug %s` goes (medians of %d runs; AT is ms after the CLI's exec; spans nest, so lengths overlap)\n", bd.command, bd.runs)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "AT ms\tTAKES ms\tRUNS\t PHASE\t")
		for _, p := range bd.phases {
			fmt.Fprintf(tw, "%.1f\t%.1f\t%d\t %s\t\n", ms(p.at), ms(p.took), p.runs, p.name)
		}
		_ = tw.Flush()
	}
}
