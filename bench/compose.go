package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

var composeOnly = flag.Bool("compose-only", false, "measure only the compose metrics (bench/compose.go)")

// composeRuns is how many up/down cycles each engine runs; rows report the
// median.
const composeRuns = 3

// composeRows measure the Compose plugin (make compose-plugin) on
// examples/stack: `compose up -d --wait` with its images built and cached
// (until every service runs and the health-checked ones are healthy), and
// `compose down -v`, through each engine's CLI (`tug compose`, `docker
// compose`) in the same run.
func (b *bench) composeRows(ctx context.Context) []row {
	root, err := repoRoot()
	if err != nil {
		c := b.fail(err)
		return []row{{metric: "compose up -d --wait", tug: c, docker: c, verdict: verdict(c, false)}}
	}
	file := filepath.Join(root, "examples", "stack", "compose.yaml")
	type result struct{ up, down cell }
	res := map[string]result{}
	b.each(ctx, func(e *engine) cell {
		project := b.prefix + "-stack"
		env := []string{"BASE_IMAGE=" + e.image, "REGISTRY=" + b.prefix, "DOCKER_BUILDKIT=0"}
		compose := func(args ...string) error {
			cctx, cancel := context.WithTimeout(ctx, cliTimeout)
			defer cancel()
			full := append([]string{"compose", "-f", file, "-p", project}, args...)
			cmd := e.command(cctx, full...)
			cmd.Env = append(append([]string(nil), e.env...), env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				return e.cliError(cctx, full, err, stderr.Bytes())
			}
			return nil
		}
		defer func() {
			_ = compose("down", "-v", "-t", "0")
			for _, img := range []string{b.prefix + "/stack-web:latest", b.prefix + "/stack-db:latest"} {
				_, _ = e.run(context.WithoutCancel(ctx), nil, "rmi", "-f", img)
			}
		}()
		progress("%s: compose build of examples/stack, then %d × (up -d --wait, down -v)", e.name, composeRuns)
		if err := compose("build"); err != nil {
			c := b.fail(err)
			res[e.name] = result{c, c}
			return c
		}
		var ups, downs []time.Duration
		for range composeRuns {
			start := time.Now()
			if err := compose("up", "-d", "--wait"); err != nil {
				c := b.fail(err)
				res[e.name] = result{c, c}
				return c
			}
			ups = append(ups, time.Since(start))
			start = time.Now()
			if err := compose("down", "-v"); err != nil {
				c := b.fail(err)
				res[e.name] = result{c, c}
				return c
			}
			downs = append(downs, time.Since(start))
		}
		slices.Sort(ups)
		slices.Sort(downs)
		cellOf := func(d time.Duration) cell {
			return cell{text: fmt.Sprintf("%.2f s", d.Seconds()), val: d.Seconds(), ok: true}
		}
		res[e.name] = result{cellOf(median(ups)), cellOf(median(downs))}
		return cell{ok: true}
	})
	pick := func(name string, up bool) cell {
		r, ok := res[name]
		switch {
		case !ok:
			return cell{text: "not available"}
		case up:
			return r.up
		default:
			return r.down
		}
	}
	mk := func(metric string, up bool) row {
		tug, dock := pick("tug", up), pick("docker", up)
		r := row{metric: metric, goal: "tug ≤ docker", tug: tug, docker: dock}
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
	return []row{
		mk(fmt.Sprintf("compose up -d --wait, examples/stack (3 services, images built; until healthy; median of %d)", composeRuns), true),
		mk(fmt.Sprintf("compose down -v, examples/stack (median of %d)", composeRuns), false),
	}
}
