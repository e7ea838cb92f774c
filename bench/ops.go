package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// healthContainers is how many containers run a health check in the
// health-check CPU metric.
const healthContainers = 50

// rssEvery is how often the daemons' RSS is sampled for its peak.
const rssEvery = 100 * time.Millisecond

// opsRows measures many containers through their whole life (started at
// once, stopped and removed, the daemons' peak memory meanwhile), and the
// CPU that 50 health checks every second cost the machine.
func (b *bench) opsRows(ctx context.Context) []row {
	return []row{b.manyRow(ctx), b.healthRow(ctx)}
}

// manyResult is one engine's run of the many-containers metric.
type manyResult struct {
	start, stopRm time.Duration
	peakKB        int64
	accounted     bool // every container in `ps -q` after start, none left after rm
}

func (b *bench) manyRow(ctx context.Context) row {
	var res [2]manyResult
	tug, dock := b.each(ctx, func(e *engine) cell {
		progress("%s: %d concurrent `run -d IMG sleep 1000`, then stop -t 0 and rm of each, at once", e.name, b.many)
		r, note, err := measureMany(ctx, e, b.prefix+"-many-", b.many)
		if err != nil {
			return b.fail(err)
		}
		res[b.index(e)] = r
		text := fmt.Sprintf("start %.2f s, stop+rm %.2f s, peak RSS %.1f MB", r.start.Seconds(), r.stopRm.Seconds(), float64(r.peakKB)/1024)
		if !r.accounted {
			text += "; " + note
		}
		return cell{text: text, val: (r.start + r.stopRm).Seconds(), ok: true}
	})
	r := row{metric: fmt.Sprintf("%d containers started concurrently, then stopped and removed (daemon peak RSS)", b.many),
		goal: "tug/docker ≤ 1/3", tug: tug, docker: dock}
	t, d := res[0], res[1]
	switch {
	case tug.ok && !t.accounted:
		r.verdict = "FAIL (not all accounted for)"
	case tug.ok && dock.ok && !d.accounted:
		r.verdict = "n/a (docker: not all accounted for)"
	case tug.ok && dock.ok:
		startR, stopR := t.start.Seconds()/d.start.Seconds(), t.stopRm.Seconds()/d.stopRm.Seconds()
		r.ratio = fmt.Sprintf("tug/docker start %.2f, stop+rm %.2f, RSS %.2f", startR, stopR, float64(t.peakKB)/float64(d.peakKB))
		r.verdict = verdictIf(tug, startR <= goalFraction && stopR <= goalFraction)
	case tug.ok:
		r.verdict = "n/a (no docker)"
	default:
		r.verdict = verdict(tug, false)
	}
	return r
}

// measureMany starts n detached containers at once, each from its own CLI
// process, checks that `ps -q` lists exactly those n, stops and removes
// each (again one CLI process per container, all at once) and checks that
// none is left, sampling the daemons' RSS all along. note says what did
// not add up when accounted is false. The containers are removed whatever
// happens.
func measureMany(ctx context.Context, e *engine, namePrefix string, n int) (r manyResult, note string, err error) {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%d", namePrefix, i)
	}
	defer func() {
		if rerr := e.removeContainers(context.WithoutCancel(ctx), names); rerr != nil {
			fmt.Fprintf(os.Stderr, "warning: %v\n", rerr)
		}
	}()
	peak := sampleDaemonRSS(e, rssEvery)

	ids := make([]string, n)
	start := time.Now()
	runErr := parallel(n, func(i int) error {
		var err error
		ids[i], err = runDetachedWith(ctx, e, names[i], nil, "sleep", "1000")
		return err
	})
	r.start = time.Since(start)

	var notes []string
	listed, psErr := listOurs(ctx, e, namePrefix, false)
	switch {
	case psErr != nil:
	case len(listed) != n:
		notes = append(notes, fmt.Sprintf("%d of %d in ps -q", len(listed), n))
	default:
		for _, id := range ids {
			if id == "" || !slices.ContainsFunc(listed, func(l string) bool { return strings.HasPrefix(l, id) || strings.HasPrefix(id, l) }) {
				notes = append(notes, "ps -q lists other containers than the ones started")
				break
			}
		}
	}

	// -t 0: busybox sleep as PID 1 ignores SIGTERM, so with a grace
	// period both engines would mostly wait out the timeout; this way
	// the time is the engines' own work of stopping.
	started := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" })
	start = time.Now()
	stopErr := parallel(len(started), func(i int) error {
		_, err := e.run(ctx, nil, "stop", "-t", "0", started[i])
		return err
	})
	rmErr := parallel(len(started), func(i int) error {
		_, err := e.run(ctx, nil, "rm", started[i])
		return err
	})
	r.stopRm = time.Since(start)

	left, leftErr := listOurs(ctx, e, namePrefix, true)
	if leftErr == nil && len(left) > 0 {
		notes = append(notes, fmt.Sprintf("%d left after rm (ps -a)", len(left)))
	}
	var rssErr error
	r.peakKB, rssErr = peak()

	if err := errors.Join(runErr, psErr, stopErr, rmErr, leftErr, rssErr); err != nil {
		if len(notes) > 0 {
			err = fmt.Errorf("%w\n(also: %s)", err, strings.Join(notes, "; "))
		}
		return r, "", err
	}
	r.accounted = len(notes) == 0
	return r, strings.Join(notes, "; "), nil
}

// runDetachedWith is runDetached with flags before the image, and the
// longer CLI timeout: a hundred runs at once on two CPUs take a while.
func runDetachedWith(ctx context.Context, e *engine, name string, flags []string, args ...string) (string, error) {
	full := append(append(append([]string{"run", "-d", "--name", name}, flags...), e.image), args...)
	e.track(name) // removed by name even if the run fails half-way
	out, err := e.run(ctx, nil, full...)
	if err != nil {
		return "", err
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return "", fmt.Errorf("%s run -d: printed no container ID", e.name)
	}
	return f[len(f)-1], nil
}

// parallel runs f(0..n-1) at once, each in its own goroutine, released
// together, and returns how many failed with the first error.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-gate
			errs[i] = f(i)
		})
	}
	close(gate)
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d failed; first: %w", len(failed), n, failed[0])
	}
	return nil
}

// listOurs returns the full IDs of the containers whose name starts with
// namePrefix: running ones, or all with all set.
func listOurs(ctx context.Context, e *engine, namePrefix string, all bool) ([]string, error) {
	args := []string{"ps", "-q", "--no-trunc", "--filter", "name=^/?" + namePrefix}
	if all {
		args = append(args, "-a")
	}
	out, err := e.run(ctx, nil, args...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// sampleDaemonRSS samples the summed RSS of the engine's daemon processes
// every interval until the returned function is called, which returns the
// peak seen (the first error reading it, if any).
func sampleDaemonRSS(e *engine, every time.Duration) func() (int64, error) {
	var peak int64
	var firstErr error
	sample := func() {
		pids, err := e.daemonPIDs()
		var sum int64
		for _, pid := range pids {
			kb, rerr := rssKB(pid)
			if rerr != nil {
				err = rerr
				break
			}
			sum += kb
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s daemon RSS: %w", e.name, err)
			}
			return
		}
		peak = max(peak, sum)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			sample()
			select {
			case <-stop:
				sample()
				return
			case <-t.C:
			}
		}
	}()
	return func() (int64, error) {
		close(stop)
		<-done
		return peak, firstErr
	}
}

func (b *bench) healthRow(ctx context.Context) row {
	window := fmt.Sprintf("%g s", b.healthWindow.Seconds())
	tug, dock := b.each(ctx, func(e *engine) cell {
		cpu, err := measureHealthCPU(ctx, e, b.prefix, healthContainers, b.healthWindow)
		if err != nil {
			return b.fail(err)
		}
		return cell{text: fmt.Sprintf("%.2f s CPU per %s (%.1f %% of a core)", cpu, window, cpu/b.healthWindow.Seconds()*100), val: cpu, ok: true}
	})
	r := row{metric: fmt.Sprintf("CPU of %d containers with a 1 s health check, over %s (whole machine, minus the same without)", healthContainers, window),
		goal: "tug ≤ docker", tug: tug, docker: dock}
	switch {
	case tug.ok && dock.ok:
		if dock.val > 0 {
			r.ratio = fmt.Sprintf("tug/docker %.2f", tug.val/dock.val)
		}
		r.verdict = verdictIf(tug, tug.val <= dock.val)
	case tug.ok:
		r.verdict = "n/a (no docker)"
	default:
		r.verdict = verdict(tug, false)
	}
	return r
}

// measureHealthCPU returns the CPU seconds, per window of wall time, that
// n containers running `true` as a health check every second cost the
// whole machine (/proc/stat), daemon, shims and checks alike.
//
// The baseline is the same n containers without a health check, measured
// over the same window just before: an idle machine as the baseline would
// also count what n running containers cost without any check (shims,
// the daemon's bookkeeping), which is not what this metric is about.
func measureHealthCPU(ctx context.Context, e *engine, prefix string, n int, window time.Duration) (float64, error) {
	measure := func(namePrefix string, flags []string, healthy bool) (float64, error) {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("%s%d", namePrefix, i)
		}
		defer func() {
			if rerr := e.removeContainers(context.WithoutCancel(ctx), names); rerr != nil {
				fmt.Fprintf(os.Stderr, "warning: %v\n", rerr)
			}
		}()
		if err := parallel(n, func(i int) error {
			_, err := runDetachedWith(ctx, e, names[i], flags, "sleep", "1000")
			return err
		}); err != nil {
			return 0, err
		}
		if healthy {
			if err := waitHealthy(ctx, e, namePrefix, n, time.Minute); err != nil {
				return 0, err
			}
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(settle):
		}
		return machineCPU(ctx, window)
	}
	progress("%s: %d `run -d --network none IMG sleep 1000`, machine CPU over %v (baseline)", e.name, n, window)
	base, err := measure(prefix+"-hcb-", []string{"--network", "none"}, false)
	if err != nil {
		return 0, err
	}
	progress("%s: %d `run -d --network none --health-cmd true --health-interval 1s IMG sleep 1000`, machine CPU over %v", e.name, n, window)
	with, err := measure(prefix+"-hc-", []string{"--network", "none", "--health-cmd", "true", "--health-interval", "1s"}, true)
	if err != nil {
		return 0, err
	}
	return with - base, nil
}

// waitHealthy polls until n containers named namePrefix* report healthy.
func waitHealthy(ctx context.Context, e *engine, namePrefix string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		out, err := e.run(ctx, nil, "ps", "-q", "--filter", "name=^/?"+namePrefix, "--filter", "health=healthy")
		if err != nil {
			return err
		}
		got := len(strings.Fields(out))
		if got == n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d of %d containers healthy after %v", e.name, got, n, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// machineCPU returns the CPU seconds the whole machine spends over window
// (all CPUs), scaled to exactly window.
func machineCPU(ctx context.Context, window time.Duration) (float64, error) {
	t0, err := busyTicks()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(window):
	}
	t1, err := busyTicks()
	if err != nil {
		return 0, err
	}
	return float64(t1-t0) / 100 * window.Seconds() / time.Since(start).Seconds(), nil // USER_HZ is 100
}

// busyTicks is the non-idle jiffies of all CPUs (machineTicks).
func busyTicks() (uint64, error) {
	busy, _, err := machineTicks()
	return busy, err
}

// machineTicks is the busy and the total jiffies of all CPUs from /proc/stat's
// "cpu" line. Busy: user, nice, system, irq, softirq; idle and iowait are
// idle; steal is time the hypervisor gave another guest; guest and
// guest_nice are already counted in user and nice.
func machineTicks() (busy, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	for i := 1; i <= 7; i++ { // user nice system idle iowait irq softirq
		v, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		total += v
		if i != 4 && i != 5 {
			busy += v
		}
	}
	return busy, total, nil
}
