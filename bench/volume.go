package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// ddRuns is how many times each dd row runs; it reports the median.
const ddRuns = 3

// ddScript writes 1 GiB with dd (fsynced) and reads it back, in dir.
const ddScript = "dd if=/dev/zero of=%[1]s/dd.bin bs=1M count=1024 conv=fsync 2>/dev/null && " +
	"echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; dd if=%[1]s/dd.bin of=/dev/null bs=1M 2>/dev/null && rm %[1]s/dd.bin"

// volumeRows measure writing and reading 1 GiB with dd in a named volume
// and in the container's own layer (overlayfs upper dir), on each engine
// in the same run.
func (b *bench) volumeRows(ctx context.Context) []row {
	measureDD := func(e *engine, vol bool) cell {
		args := []string{"run", "--rm", "--network", "none"}
		dir := "/ddtest"
		if vol {
			name := b.prefix + "-ddvol"
			if _, err := e.run(ctx, nil, "volume", "create", name); err != nil {
				return b.fail(err)
			}
			defer func() { _, _ = e.run(context.WithoutCancel(ctx), nil, "volume", "rm", "-f", name) }()
			args = append(args, "-v", name+":/ddtest")
		}
		args = append(args, e.image, "sh", "-c", "mkdir -p "+dir+" && "+fmt.Sprintf(ddScript, dir))
		progress("%s: dd 1 GiB write+read in %s (%d runs)", e.name, map[bool]string{true: "a named volume", false: "the container layer"}[vol], ddRuns)
		// The VM's disk is noisy (a first 1 GiB write can take twice
		// as long as the next): the median of a few runs.
		var took []time.Duration
		for range ddRuns {
			start := time.Now()
			if _, err := e.run(ctx, nil, args...); err != nil {
				return b.fail(err)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		secs := median(took).Seconds()
		mbs := 2048 / secs
		return cell{text: fmt.Sprintf("%.2f s (%.0f MiB/s)", secs, mbs), val: secs, ok: true}
	}
	mk := func(metric string, vol bool) row {
		tug, dock := b.each(ctx, func(e *engine) cell { return measureDD(e, vol) })
		r := row{metric: metric, goal: "-", tug: tug, docker: dock}
		switch {
		case tug.ok && dock.ok:
			r.ratio = fmt.Sprintf("tug/docker %.2f", tug.val/dock.val)
			r.verdict = verdictIf(tug, tug.val <= dock.val*1.1)
		case tug.ok:
			r.verdict = "n/a (no docker)"
		default:
			r.verdict = verdict(tug, false)
		}
		return r
	}
	return []row{
		mk("dd 1 GiB write (fsync) + read, named volume (median of 3)", true),
		mk("dd 1 GiB write (fsync) + read, container layer (overlayfs, median of 3)", false),
	}
}
