package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// latency is the distribution of a command's wall time.
type latency struct {
	median, p90 time.Duration
	n           int
	windows     []window // when each measured run started and ended
}

// percentile returns the nearest-rank percentile p (0..100) of sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// median returns the median of sorted samples (mean of the middle two for
// an even count).
func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return sorted[n/2]
	default:
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
}

func summarize(samples []time.Duration) latency {
	s := slices.Clone(samples)
	slices.Sort(s)
	return latency{median: median(s), p90: percentile(s, 90), n: len(s)}
}

// measureLatency runs `args` warm times unmeasured, then n times measured.
// The first failure ends the measurement.
func measureLatency(ctx context.Context, e *engine, warm, n int, args ...string) (latency, error) {
	for i := 0; i < warm; i++ {
		if _, err := e.timed(ctx, args...); err != nil {
			return latency{}, fmt.Errorf("warm-up run %d: %w", i+1, err)
		}
	}
	samples := make([]time.Duration, 0, n)
	var windows []window
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return latency{}, err
		}
		start := time.Now()
		d, err := e.timed(ctx, args...)
		if err != nil {
			return latency{}, fmt.Errorf("run %d: %w", i+1, err)
		}
		samples = append(samples, d)
		windows = append(windows, window{start: start, end: time.Now()})
	}
	l := summarize(samples)
	l.windows = windows
	return l, nil
}

// memory is what `count` idle detached containers cost.
type memory struct {
	daemonKB  int64 // RSS of the daemon process(es)
	daemonErr error
	shimKB    float64 // mean RSS of one container's shim
	shimUSS   float64 // mean USS (private memory) of one container's shim
	threads   float64 // mean threads of one container's shim
	shims     int     // shims found
	shimErr   error
}

// settle is how long the engine gets to go idle before RSS is read.
const settle = 2 * time.Second

// measureMemory starts count detached sleeping containers, lets the engine
// settle, reads the daemon's and the shims' RSS, and removes the containers.
func measureMemory(ctx context.Context, e *engine, prefix string, count int) (m memory, err error) {
	defer func() {
		if rerr := e.removeAll(context.WithoutCancel(ctx)); rerr != nil {
			fmt.Fprintf(os.Stderr, "warning: %v\n", rerr)
		}
	}()
	var ids []string
	for i := 0; i < count; i++ {
		id, err := e.runDetached(ctx, fmt.Sprintf("%s-mem%d", prefix, i), "sleep", "1000")
		if err != nil {
			return m, err
		}
		ids = append(ids, id)
	}
	select {
	case <-ctx.Done():
		return m, ctx.Err()
	case <-time.After(settle):
	}

	if pids, err := e.daemonPIDs(); err != nil {
		m.daemonErr = err
	} else {
		for _, pid := range pids {
			kb, err := rssKB(pid)
			if err != nil {
				m.daemonErr = err
				break
			}
			m.daemonKB += kb
		}
	}

	shims := e.shimPIDs(ids)
	var total, private int64
	var nthreads int
	for _, pid := range shims {
		kb, err := rssKB(pid)
		if err != nil {
			continue // exited between listing and reading
		}
		uss, err := ussKB(pid)
		if err != nil {
			continue
		}
		n, err := threads(pid)
		if err != nil {
			continue
		}
		total += kb
		private += uss
		nthreads += n
		m.shims++
	}
	switch {
	case m.shims == 0:
		m.shimErr = fmt.Errorf("%s: no shim process found for the %d containers", e.name, count)
	default:
		m.shimKB = float64(total) / float64(m.shims)
		m.shimUSS = float64(private) / float64(m.shims)
		m.threads = float64(nthreads) / float64(m.shims)
		if m.shims != count {
			fmt.Fprintf(os.Stderr, "note: %s: found %d shim processes for %d containers\n", e.name, m.shims, count)
		}
	}
	return m, nil
}

// measureConcurrent starts n detached containers at once, each from its
// own CLI process, and returns the time until every CLI has exited (each
// `run -d` exits once its container is started). It then checks that all
// n show in `ps -q` and removes them.
func measureConcurrent(ctx context.Context, e *engine, prefix string, n int) (time.Duration, error) {
	defer func() {
		if rerr := e.removeAll(context.WithoutCancel(ctx)); rerr != nil {
			fmt.Fprintf(os.Stderr, "warning: %v\n", rerr)
		}
	}()
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			ids[i], errs[i] = e.runDetached(ctx, fmt.Sprintf("%s-c%d", prefix, i), "sleep", "1000")
		}()
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	elapsed := time.Since(start)

	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return elapsed, fmt.Errorf("%d of %d runs failed; first: %w", len(failed), n, failed[0])
	}
	out, err := e.run(ctx, nil, "ps", "-q")
	if err != nil {
		return elapsed, err
	}
	shown := strings.Fields(out)
	var missing []string
	for _, id := range ids {
		if !slices.ContainsFunc(shown, func(s string) bool {
			return len(s) >= 12 && strings.HasPrefix(id, s) || strings.HasPrefix(s, id)
		}) {
			missing = append(missing, id[:min(12, len(id))])
		}
	}
	if len(missing) > 0 {
		return elapsed, fmt.Errorf("%d of %d started containers missing from `ps -q`: %s", len(missing), n, strings.Join(missing, " "))
	}
	return elapsed, nil
}
