package main

import (
	"context"
	"fmt"
	"time"
)

// connectRuns is how many connect/disconnect rounds connectRow times.
const connectRuns = 10

// connectRow measures `network connect` of a running container to a user
// network, until the peer already on it resolves the container's name
// (tug's embedded DNS, Docker's resolver), and back out with `network
// disconnect`: the round a Compose service or a CI job does.
func (b *bench) connectRow(ctx context.Context) row {
	tug, dock := b.each(ctx, func(e *engine) cell {
		progress("%s: network connect of a running container + name resolution, then disconnect (%d rounds)", e.name, connectRuns)
		net, peer, target := b.prefix+"-cnet", b.prefix+"-cpeer", b.prefix+"-ctarget"
		if _, err := e.run(ctx, nil, "network", "create", net); err != nil {
			return b.fail(err)
		}
		defer func() { _, _ = e.run(context.WithoutCancel(ctx), nil, "network", "rm", net) }()
		e.track(peer)
		e.track(target)
		defer func() { _ = e.removeContainers(context.WithoutCancel(ctx), []string{peer, target}) }()
		if _, err := e.run(ctx, nil, "run", "-d", "--name", peer, "--network", net, "--dns", "127.0.0.1", e.image, "sleep", "1000"); err != nil {
			return b.fail(err)
		}
		if _, err := e.run(ctx, nil, "run", "-d", "--name", target, "--dns", "127.0.0.1", e.image, "sleep", "1000"); err != nil {
			return b.fail(err)
		}
		var took []time.Duration
		for range connectRuns {
			start := time.Now()
			if _, err := e.run(ctx, nil, "network", "connect", net, target); err != nil {
				return b.fail(err)
			}
			if _, err := e.run(ctx, nil, "exec", peer, "nslookup", target); err != nil {
				return b.fail(fmt.Errorf("%s does not resolve %s after connect: %w", peer, target, err))
			}
			if _, err := e.run(ctx, nil, "network", "disconnect", net, target); err != nil {
				return b.fail(err)
			}
			took = append(took, time.Since(start))
		}
		l := summarize(took)
		return cell{text: fmt.Sprintf("%.0f ms", float64(l.median.Microseconds())/1000), val: float64(l.median.Microseconds()) / 1000, ok: true}
	})
	r := row{metric: "network connect running ctr + peer resolves it + disconnect (median)", goal: "tug ≤ docker", tug: tug, docker: dock}
	switch {
	case tug.ok && dock.ok:
		r.ratio = fmt.Sprintf("tug/docker %.2f", tug.val/dock.val)
		r.verdict = verdictIf(tug, tug.val <= dock.val)
	case tug.ok:
		r.verdict = "n/a (no docker)"
	default:
		r.verdict = verdict(tug, false)
	}
	return r
}
