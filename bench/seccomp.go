package main

import (
	"context"
	"fmt"
	"time"
)

// goalConfineMS is what confinement (the default seccomp profile, loaded
// by the container's init) may add to `run --rm` at the median (issue 12).
const goalConfineMS = 2.0

// seccompBatch is how many runs of one kind come before a batch of the other.
const seccompBatch = 5

// seccompRow measures `run --rm --network none IMG true` with the default
// seccomp profile and with --security-opt seccomp=unconfined, alternating
// the two in batches so that drift on the machine hits both alike; the
// cell is the difference of the medians.
func (b *bench) seccompRow(ctx context.Context) row {
	tug, dock := b.each(ctx, func(e *engine) cell {
		def := []string{"run", "--rm", "--network", "none", e.image, "true"}
		unc := []string{"run", "--rm", "--network", "none", "--security-opt", "seccomp=unconfined", e.image, "true"}
		progress("%s: run --rm with the default seccomp profile vs unconfined (%d warm-up + %d runs each)", e.name, b.warm, b.n)
		for i := 0; i < b.warm; i++ {
			for _, args := range [][]string{def, unc} {
				if _, err := e.timed(ctx, args...); err != nil {
					return b.fail(fmt.Errorf("warm-up run %d: %w", i+1, err))
				}
			}
		}
		var sd, su []time.Duration
		for len(sd) < b.n {
			k := min(seccompBatch, b.n-len(sd))
			for _, m := range []struct {
				args []string
				into *[]time.Duration
			}{{def, &sd}, {unc, &su}} {
				for range k {
					d, err := e.timed(ctx, m.args...)
					if err != nil {
						return b.fail(fmt.Errorf("run %d: %w", len(*m.into)+1, err))
					}
					*m.into = append(*m.into, d)
				}
			}
		}
		ld, lu := summarize(sd), summarize(su)
		d := ms(ld.median) - ms(lu.median)
		return cell{text: fmt.Sprintf("%+.1f ms (%.1f vs %.1f unconfined)", d, ms(ld.median), ms(lu.median)), val: d, ok: true}
	})
	r := row{metric: "seccomp default profile vs unconfined, run --rm --network none IMG true (median difference)",
		goal: fmt.Sprintf("tug ≤ +%.0f ms", goalConfineMS), tug: tug, docker: dock}
	r.verdict = verdict(tug, tug.val <= goalConfineMS)
	return r
}
