package main

import (
	"context"
	"fmt"
)

// goalConfineMS is what confinement (the default seccomp profile, loaded
// by the container's init) may add to `run --rm` at the median (issue 12).
const goalConfineMS = 2.0

// seccompRow measures `run --rm --network none IMG true` with the default
// seccomp profile and with --security-opt seccomp=unconfined, alternating
// the two in batches so that drift on the machine hits both alike; the
// cell is the difference of the medians.
func (b *bench) seccompRow(ctx context.Context) row {
	tug, dock := b.each(ctx, func(e *engine) cell {
		def := []string{"run", "--rm", "--network", "none", e.image, "true"}
		unc := []string{"run", "--rm", "--network", "none", "--security-opt", "seccomp=unconfined", e.image, "true"}
		progress("%s: run --rm with the default seccomp profile vs unconfined (%d warm-up + %d runs each)", e.name, b.warm, b.n)
		ld, err := measureLatency(ctx, e, b.warm, b.n, def...)
		if err != nil {
			return b.fail(err)
		}
		lu, err := measureLatency(ctx, e, b.warm, b.n, unc...)
		if err != nil {
			return b.fail(err)
		}
		d := ms(ld.median) - ms(lu.median)
		return cell{text: fmt.Sprintf("%+.1f ms (%.1f vs %.1f unconfined)", d, ms(ld.median), ms(lu.median)), val: d, ok: true}
	})
	r := row{metric: "seccomp default profile vs unconfined, run --rm --network none IMG true (median difference)",
		goal: fmt.Sprintf("tug ≤ +%.0f ms", goalConfineMS), tug: tug, docker: dock}
	r.verdict = verdict(tug, tug.val <= goalConfineMS)
	return r
}
