package main

import (
	"context"
	"fmt"
)

// goalExecFraction: `exec c true` should take at most this share of
// Docker's time (no goal in DESIGN.md yet; the run goals ask for 1/8).
const goalExecFraction = 0.5

// execRow measures `exec CONTAINER true` (create, hijacked start, inspect:
// what the CLI does) against a running container on each engine.
func (b *bench) execRow(ctx context.Context) row {
	tug, dock := b.each(ctx, func(e *engine) cell {
		name := b.prefix + "-exec"
		id, err := e.runDetached(ctx, name, "sleep", "1000")
		if err != nil {
			return b.fail(err)
		}
		defer func() { _ = e.removeContainers(context.WithoutCancel(ctx), []string{id}) }()
		progress("%s: exec %s true (%d warm-up + %d runs)", e.name, name, b.warm, b.n)
		l, err := measureLatency(ctx, e, b.warm, b.n, "exec", name, "true")
		if err != nil {
			return b.fail(err)
		}
		return cell{text: fmt.Sprintf("%.1f ms (p90 %.1f)", ms(l.median), ms(l.p90)), val: ms(l.median), ok: true}
	})
	r := row{metric: "exec CTR true, running container (median)", goal: fmt.Sprintf("tug/docker ≤ %.1f", goalExecFraction), tug: tug, docker: dock}
	switch {
	case tug.ok && dock.ok:
		r.ratio = fmt.Sprintf("docker/tug %.1fx", dock.val/tug.val)
		r.verdict = verdict(tug, tug.val <= dock.val*goalExecFraction)
	case tug.ok:
		r.verdict = "n/a (no docker)"
	default:
		r.verdict = verdict(tug, false)
	}
	return r
}
