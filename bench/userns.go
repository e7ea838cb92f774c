package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

var usernsOnly = flag.Bool("userns-only", false, "measure only the userns-remap row (bench/userns.go)")

// usernsRow measures `run --rm --network none IMG true` on a daemon with
// userns-remap "default" against the same on the plain one, alternating
// batches as seccompRow does; the cell is the difference of the medians.
// The remapped daemons are started for this row only: a second tugd, and
// a private dockerd+containerd with --userns-remap default (Docker keeps a
// separate image store per remapping, so the image is imported again).
func (b *bench) usernsRow(ctx context.Context) row {
	r := row{metric: "userns-remap default vs none, run --rm --network none IMG true (median difference)"}
	var remapped [2]*engine
	var teardowns []func(context.Context) []error
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		for _, td := range teardowns {
			for _, err := range td(cctx) {
				b.notes = append(b.notes, fmt.Sprintf("userns row cleanup: %v", err))
			}
		}
	}()
	cfg := filepath.Join(os.TempDir(), fmt.Sprintf("%s-userns.json", b.prefix))
	if err := os.WriteFile(cfg, []byte(`{"userns-remap": "default"}`), 0o644); err != nil {
		r.tug = b.fail(err)
		return r
	}
	defer os.Remove(cfg)
	progress("tug: starting a second tugd with userns-remap default")
	ts, err := setupTug(ctx, b.binDir, b.tarball, "--config-file", cfg)
	teardowns = append(teardowns, ts.teardown)
	if err != nil {
		ts.err = err
	}
	remapped[0] = ts.engine
	if b.dockerMode != "off" && len(b.engines) > 1 && b.engines[1].err == nil {
		progress("docker: starting a private dockerd with --userns-remap default")
		ds, err := setupDocker(ctx, "own", b.tarball, "--userns-remap", "default")
		teardowns = append(teardowns, ds.teardown)
		if err != nil {
			ds.err = err
		}
		remapped[1] = ds.engine
	}
	r.tug, r.docker = b.each(ctx, func(e *engine) cell {
		re := remapped[b.index(e)]
		if re == nil {
			return cell{text: "not available"}
		}
		if re.err != nil {
			return b.fail(fmt.Errorf("%s with userns-remap could not be set up: %w", e.name, re.err))
		}
		progress("%s: run --rm with userns-remap vs without (%d warm-up + %d runs each)", e.name, b.warm, b.n)
		args := func(x *engine) []string { return []string{"run", "--rm", "--network", "none", x.image, "true"} }
		for i := 0; i < b.warm; i++ {
			for _, x := range []*engine{re, e} {
				if _, err := x.timed(ctx, args(x)...); err != nil {
					return b.fail(fmt.Errorf("warm-up run %d: %w", i+1, err))
				}
			}
		}
		var sr, sp []time.Duration
		for len(sr) < b.n {
			k := min(seccompBatch, b.n-len(sr))
			for _, m := range []struct {
				x    *engine
				into *[]time.Duration
			}{{re, &sr}, {e, &sp}} {
				for range k {
					d, err := m.x.timed(ctx, args(m.x)...)
					if err != nil {
						return b.fail(fmt.Errorf("run %d: %w", len(*m.into)+1, err))
					}
					*m.into = append(*m.into, d)
				}
			}
		}
		lr, lp := summarize(sr), summarize(sp)
		d := ms(lr.median) - ms(lp.median)
		return cell{text: fmt.Sprintf("%+.1f ms (%.1f vs %.1f)", d, ms(lr.median), ms(lp.median)), val: d, ok: true}
	})
	return r
}
