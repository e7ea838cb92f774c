package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// statsContainers is how many running containers `stats --no-stream` reports on.
const statsContainers = 20

// cpuTarget is the --cpus of the CPU-bound container, and its tolerance.
const (
	cpuTarget    = 0.5
	cpuTolerance = 0.05
)

// limitsRows measures the resource-limit paths: one `stats --no-stream`
// over 20 running containers, and how much of a core a busy loop under
// --cpus 0.5 gets (read from the host, /proc/<pid>/stat, so the same
// probe serves both engines).
func (b *bench) limitsRows(ctx context.Context) []row {
	tug, dock := b.each(ctx, func(e *engine) cell {
		progress("%s: %d `run -d IMG sleep 1000`, then stats --no-stream", e.name, statsContainers)
		ids := make([]string, statsContainers)
		errs := make([]error, statsContainers)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() { ids[i], errs[i] = e.runDetached(ctx, fmt.Sprintf("%s-stats-%d", b.prefix, i), "sleep", "1000") })
		}
		wg.Wait()
		defer func() { _ = e.removeContainers(context.WithoutCancel(ctx), ids) }()
		for _, err := range errs {
			if err != nil {
				return b.fail(err)
			}
		}
		n := min(b.n, 5) // each run takes a second: two samples for CPU %
		l, err := measureLatency(ctx, e, min(b.warm, 1), n, "stats", "--no-stream")
		if err != nil {
			return b.fail(err)
		}
		return cell{text: fmt.Sprintf("%.0f ms (p90 %.0f)", ms(l.median), ms(l.p90)), val: ms(l.median), ok: true}
	})
	r1 := row{metric: fmt.Sprintf("stats --no-stream, %d running containers (median)", statsContainers), goal: "", tug: tug, docker: dock}
	if tug.ok && dock.ok {
		r1.ratio = fmt.Sprintf("tug/docker %.2f", tug.val/dock.val)
	}
	r1.verdict = verdictIf(tug, true)

	tug, dock = b.each(ctx, func(e *engine) cell {
		progress("%s: busy loop under --cpus %.1f for 3 s", e.name, cpuTarget)
		name := b.prefix + "-cpus"
		out, err := e.run(ctx, nil, "run", "-d", "--name", name, "--network", "none", "--cpus", strconv.FormatFloat(cpuTarget, 'f', -1, 64),
			e.image, "sh", "-c", "while :; do :; done")
		e.track(name)
		defer func() { _ = e.removeContainers(context.WithoutCancel(ctx), []string{name}) }()
		if err != nil {
			return b.fail(err)
		}
		_ = out
		pidOut, err := e.run(ctx, nil, "inspect", "-f", "{{.State.Pid}}", name)
		if err != nil {
			return b.fail(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(pidOut))
		if err != nil {
			return b.fail(fmt.Errorf("%s: pid of the busy container: %q", e.name, pidOut))
		}
		share, err := cpuShare(ctx, pid, 3*time.Second)
		if err != nil {
			return b.fail(err)
		}
		return cell{text: fmt.Sprintf("%.3f of a core", share), val: share, ok: true}
	})
	r2 := row{metric: fmt.Sprintf("busy loop under --cpus %.1f, CPU used over 3 s", cpuTarget), goal: fmt.Sprintf("%.2f ± %.2f", cpuTarget, cpuTolerance), tug: tug, docker: dock}
	r2.verdict = verdictIf(tug, math.Abs(tug.val-cpuTarget) <= cpuTolerance)
	return []row{r1, r2}
}

// cpuShare is the CPU time process pid uses over d, in cores.
func cpuShare(ctx context.Context, pid int, d time.Duration) (float64, error) {
	t0, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(d): // the busy loop must run a while: a deliberate wait
	}
	t1, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	return float64(t1-t0) / 100 / time.Since(start).Seconds(), nil // USER_HZ is 100
}

// cpuTicks is utime+stime of pid from /proc/<pid>/stat.
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return ut + st, nil
}
