// Command bench measures tug against Docker on this machine, side by side,
// for the goals in DESIGN.md ("Numbers to reach"): run latency with and
// without networking, daemon and shim memory, concurrent starts, and a
// cold pull from a registry the bench serves on 127.0.0.1 (bench/pull.go).
//
// Run it as `make bench` (which builds bin/ first) or `go run ./bench`
// from the repository root, as root. It starts its own tugd on temporary
// roots, uses a running Docker daemon or starts Debian's dockerd and
// containerd itself, imports the busybox test image into both (no network
// beyond loopback is used), measures, prints a table, and removes everything it made.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// Goals from DESIGN.md (absolute) and issue 16 (tug's time as a fraction
// of Docker's in the same run, the verdict when Docker was measured).
const (
	goalRunNoneMS      = 25.0
	goalRunBridgeMS    = 40.0
	goalRunNoneRatio   = 0.125
	goalRunBridgeRatio = 0.15
	goalShimMB         = 4.0
	goalShimUSSMB      = 2.0 // issue 16: a shim's private memory
	goalFraction       = 1.0 / 3
	// designDockerMB is dockerd+containerd idle RSS as DESIGN.md measured
	// it here; the fallback reference when no Docker runs.
	designDockerMB = 129.0
	memContainers  = 5
)

func main() {
	n := flag.Int("n", 30, "measured runs per latency metric")
	warm := flag.Int("warmup", 3, "unmeasured warm-up runs per latency metric")
	concurrent := flag.Int("concurrent", 20, "containers started at once in the concurrency metric (DESIGN.md's goal is for 100)")
	many := flag.Int("many", 100, "containers started at once, then stopped and removed, in the many-containers metric (bench/ops.go)")
	healthWindow := flag.Duration("health-window", 60*time.Second, "how long the health-check CPU metric measures, with and without the checks (bench/ops.go)")
	dockerMode := flag.String("docker", "auto", "auto: use the running Docker daemon, or start dockerd+containerd; off: tug only; own: always start a private dockerd+containerd")
	binDir := flag.String("bin", "", "directory holding tugd and tug (default: bin/ of the repository)")
	flag.Parse()
	switch *dockerMode {
	case "auto", "off", "own":
	default:
		fatalf("-docker must be auto, off or own, not %q", *dockerMode)
	}
	if *n < 1 || *warm < 0 || *concurrent < 1 || *many < 1 || *healthWindow <= 0 {
		fatalf("-n, -concurrent and -many must be at least 1, -warmup at least 0, -health-window positive")
	}
	if os.Geteuid() != 0 {
		fatalf("bench must run as root (it starts daemons and containers)")
	}
	if _, err := os.Stat(testutil.BusyboxPath); err != nil {
		fatalf("%s is missing: apt-get install busybox-static (the test image is built from it)", testutil.BusyboxPath)
	}
	if *binDir == "" {
		root, err := repoRoot()
		if err != nil {
			fatalf("%v (run from the repository, or pass -bin)", err)
		}
		*binDir = filepath.Join(root, "bin")
	}
	tarball, err := testutil.BusyboxTarBytes()
	if err != nil {
		fatalf("building the busybox image: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b := &bench{n: *n, warm: *warm, concurrent: *concurrent, many: *many, healthWindow: *healthWindow, prefix: fmt.Sprintf("tugbench-%d", os.Getpid()),
		binDir: *binDir, tarball: tarball, dockerMode: *dockerMode}

	progress("tug: starting tugd from %s", *binDir)
	tug, err := setupTug(ctx, *binDir, tarball)
	if err != nil {
		tug.err = err
		progress("tug: %v", err)
	}
	b.engines = append(b.engines, tug.engine)

	var dock *dockerSide
	if *dockerMode == "off" {
		b.dockerNote = "off (-docker=off)"
	} else {
		dock, err = setupDocker(ctx, *dockerMode, tarball)
		if err != nil {
			dock.err = err
			progress("docker: not available: %v", err)
		}
		b.engines = append(b.engines, dock.engine)
	}

	progress("waiting for the engines' set-up to settle")
	settleAfterSetup(ctx) // quiet.go
	rows := b.measure(ctx)

	progress("cleaning up")
	cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
	var cleanupErrs []error
	cleanupErrs = append(cleanupErrs, tug.teardown(cctx)...)
	if dock != nil {
		cleanupErrs = append(cleanupErrs, dock.teardown(cctx)...)
	}
	ccancel()

	b.print(os.Stdout, rows)
	b.printBreakdowns(os.Stdout)
	for _, err := range cleanupErrs {
		fmt.Fprintf(os.Stdout, "cleanup: %v\n", err)
	}
	if ctx.Err() != nil {
		os.Exit(130)
	}
}

// bench holds the settings and the engines under test; engines[0] is tug.
type bench struct {
	n, warm, concurrent int
	many                int           // containers in the many-containers metric (ops.go)
	healthWindow        time.Duration // window of the health-check CPU metric (ops.go)
	prefix              string
	engines             []*engine
	dockerNote          string
	binDir, dockerMode  string   // for the engines a row starts itself (userns.go)
	tarball             []byte   // the busybox image
	notes               []string // footnotes: errors, numbered from 1
	setupFailed         map[*engine]cell
	breakdowns          []breakdown // where tug's time goes (breakdown.go)
}

// cell is one engine's result for one metric.
type cell struct {
	text string
	val  float64 // in the metric's unit
	ok   bool
}

type row struct {
	metric, goal   string
	tug, docker    cell
	ratio, verdict string
}

// fail records err as a numbered footnote and returns a cell pointing at it.
func (b *bench) fail(err error) cell {
	b.notes = append(b.notes, err.Error())
	return cell{text: fmt.Sprintf("ERROR [%d]", len(b.notes))}
}

// each runs f for every engine that is set up; an engine that is not
// gets a cell explaining why.
func (b *bench) each(ctx context.Context, f func(e *engine) cell) (tug, docker cell) {
	cells := make([]cell, 2)
	for i, e := range b.engines {
		if ctx.Err() != nil {
			cells[i] = cell{text: "interrupted"}
			continue
		}
		if e.err != nil {
			if e.name == "docker" {
				cells[i] = cell{text: "not available"}
				continue
			}
			// Report the cause once and point every metric at it.
			if b.setupFailed == nil {
				b.setupFailed = map[*engine]cell{}
			}
			c, seen := b.setupFailed[e]
			if !seen {
				c = b.fail(fmt.Errorf("%s could not be set up: %w", e.name, e.err))
				b.setupFailed[e] = c
			}
			cells[i] = c
			continue
		}
		settleMachine(ctx) // quiet.go
		notes := len(b.notes)
		if cells[i] = f(e); ctx.Err() != nil && !cells[i].ok {
			b.notes = b.notes[:notes] // the errors only say "canceled"
			cells[i] = cell{text: "interrupted"}
		}
	}
	if len(b.engines) < 2 {
		cells[1] = cell{text: "not available"}
	}
	return cells[0], cells[1]
}

// groups are the bench's metrics in the order they run; -only picks some.
var groups = []string{"start", "memory", "pull", "exec", "limits", "ops", "network", "volume", "build", "compose", "cri"}

var only = flag.String("only", "", "comma-separated groups of metrics to measure (default all): "+strings.Join(groups, ", "))

func (b *bench) measure(ctx context.Context) []row {
	if *buildOnly {
		return b.buildRows(ctx) // build.go
	}
	if *composeOnly {
		return b.composeRows(ctx) // compose.go
	}
	if *usernsOnly {
		return []row{b.usernsRow(ctx)} // userns.go
	}
	want := map[string]bool{}
	for _, g := range strings.Split(*only, ",") {
		if g = strings.TrimSpace(g); g != "" {
			want[g] = true
		}
	}
	var rows []row
	for _, g := range groups {
		if len(want) > 0 && !want[g] {
			continue
		}
		switch g {
		case "start":
			rows = append(rows, b.startRows(ctx)...)
		case "memory":
			rows = append(rows, b.memoryRows(ctx)...)
		case "pull":
			rows = append(rows, b.pullRows(ctx)...) // pull.go, distro.go
		case "exec":
			rows = append(rows, b.execRow(ctx)) // exec.go
		case "limits":
			rows = append(rows, b.limitsRows(ctx)...) // limits.go
		case "ops":
			rows = append(rows, b.opsRows(ctx)...) // ops.go
		case "network":
			rows = append(rows, b.networkRows(ctx)...) // network.go
			rows = append(rows, b.connectRow(ctx))     // connect.go
		case "volume":
			rows = append(rows, b.volumeRows(ctx)...) // volume.go
		case "build":
			rows = append(rows, b.buildRows(ctx)...) // build.go
		case "compose":
			rows = append(rows, b.composeRows(ctx)...) // compose.go
		case "cri":
			rows = append(rows, b.criRows(ctx)...) // cri.go
		}
	}
	return rows
}

// startRows are the `run --rm` latencies, with and without networking and
// seccomp, and (tug) where their time goes.
func (b *bench) startRows(ctx context.Context) []row {
	var rows []row
	latencyRow := func(metric string, goalMS, goalRatio float64, args ...string) {
		tug, dock := b.each(ctx, func(e *engine) cell {
			full := append(append([]string{"run", "--rm"}, args...), e.image, "true")
			progress("%s: %s (%d warm-up + %d runs)", e.name, strings.Join(full, " "), b.warm, b.n)
			l, err := measureLatency(ctx, e, b.warm, b.n, full...)
			if err != nil {
				return b.fail(err)
			}
			if e.trace != "" {
				b.addBreakdown(e, strings.Join(full, " "), l.windows) // breakdown.go
			}
			return cell{text: fmt.Sprintf("%.1f ms (p90 %.1f)", ms(l.median), ms(l.p90)), val: ms(l.median), ok: true}
		})
		r := row{metric: metric, goal: fmt.Sprintf("tug ≤ %.0f ms or ≤ %g of docker", goalMS, goalRatio), tug: tug, docker: dock}
		pass := tug.val <= goalMS
		if tug.ok && dock.ok {
			r.ratio = fmt.Sprintf("docker/tug %.1fx (tug/docker %.3f)", dock.val/tug.val, tug.val/dock.val)
			pass = pass || tug.val/dock.val <= goalRatio
		}
		r.verdict = verdict(tug, pass)
		rows = append(rows, r)
	}
	latencyRow("run --rm --network none IMG true (median)", goalRunNoneMS, goalRunNoneRatio, "--network", "none")
	latencyRow("run --rm IMG true, default network (median)", goalRunBridgeMS, goalRunBridgeRatio)
	latencyRow("run --rm --log-driver none IMG true, default network (median)", goalRunBridgeMS, goalRunBridgeRatio, "--log-driver", "none")
	rows = append(rows, b.seccompRow(ctx)) // seccomp.go
	rows = append(rows, b.usernsRow(ctx))  // userns.go

	return rows
}

// memoryRows are the daemon's and the shims' memory and concurrent starts.
func (b *bench) memoryRows(ctx context.Context) []row {
	var rows []row
	var daemonCells, shimCells, ussCells [2]cell
	daemonCells[0], daemonCells[1] = b.each(ctx, func(e *engine) cell {
		progress("%s: memory with %d idle `run -d IMG sleep 1000` containers", e.name, memContainers)
		m, err := measureMemory(ctx, e, b.prefix, memContainers)
		if err != nil {
			c := b.fail(err)
			shimCells[b.index(e)] = c
			ussCells[b.index(e)] = c
			return c
		}
		if m.shimErr != nil {
			shimCells[b.index(e)] = b.fail(m.shimErr)
			ussCells[b.index(e)] = shimCells[b.index(e)]
		} else {
			shimCells[b.index(e)] = cell{text: fmt.Sprintf("%.1f MB (%d shims)", m.shimKB/1024, m.shims), val: m.shimKB / 1024, ok: true}
			// What RSS has beyond USS is shared: the binary's and libraries' pages, one copy for all shims.
			ussCells[b.index(e)] = cell{text: fmt.Sprintf("%.1f MB (+%.1f MB shared; %d shims, %.1f threads each)", m.shimUSS/1024, (m.shimKB-m.shimUSS)/1024, m.shims, m.threads), val: m.shimUSS / 1024, ok: true}
		}
		if m.daemonErr != nil {
			return b.fail(fmt.Errorf("%s daemon RSS: %w", e.name, m.daemonErr))
		}
		return cell{text: fmt.Sprintf("%.1f MB", float64(m.daemonKB)/1024), val: float64(m.daemonKB) / 1024, ok: true}
	})
	for i := range shimCells {
		if shimCells[i].text == "" || daemonCells[i].text == "interrupted" {
			shimCells[i] = daemonCells[i] // engine not available: same text
			ussCells[i] = daemonCells[i]
		}
	}
	r := row{metric: fmt.Sprintf("daemon RSS, %d idle containers (tugd and its warm shim vs dockerd+containerd)", memContainers),
		goal: "tug/docker ≤ 1/3", tug: daemonCells[0], docker: daemonCells[1]}
	switch {
	case r.tug.ok && r.docker.ok:
		r.ratio = fmt.Sprintf("tug/docker %.2f", r.tug.val/r.docker.val)
		r.verdict = verdict(r.tug, r.tug.val <= r.docker.val*goalFraction)
	case r.tug.ok:
		r.ratio = fmt.Sprintf("tug/129MB %.2f", r.tug.val/designDockerMB)
		r.verdict = verdict(r.tug, r.tug.val <= designDockerMB*goalFraction) + " (vs DESIGN's 129 MB)"
	default:
		r.verdict = verdict(r.tug, false)
	}
	rows = append(rows, r)

	r = row{metric: "shim RSS per running container (mean)", goal: fmt.Sprintf("tug ≤ %.0f MB", goalShimMB), tug: shimCells[0], docker: shimCells[1]}
	if r.tug.ok && r.docker.ok {
		r.ratio = fmt.Sprintf("tug/docker %.2f", r.tug.val/r.docker.val)
	}
	r.verdict = verdict(r.tug, r.tug.val <= goalShimMB)
	rows = append(rows, r)

	// RSS counts the pages of the binary every shim shares; what one more
	// container costs is the shim's private memory (USS).
	r = row{metric: "shim private memory (USS) per running container (mean)", goal: fmt.Sprintf("tug ≤ %.0f MB", goalShimUSSMB), tug: ussCells[0], docker: ussCells[1]}
	if r.tug.ok && r.docker.ok {
		r.ratio = fmt.Sprintf("tug/docker %.2f", r.tug.val/r.docker.val)
	}
	r.verdict = verdict(r.tug, r.tug.val <= goalShimUSSMB)
	rows = append(rows, r)

	tug, dock := b.each(ctx, func(e *engine) cell {
		progress("%s: %d concurrent `run -d IMG sleep 1000`", e.name, b.concurrent)
		d, err := measureConcurrent(ctx, e, b.prefix, b.concurrent)
		if err != nil {
			return b.fail(err)
		}
		return cell{text: fmt.Sprintf("%.2f s", d.Seconds()), val: d.Seconds(), ok: true}
	})
	r = row{metric: fmt.Sprintf("%d containers started concurrently, all up", b.concurrent), goal: "tug/docker ≤ 1/3", tug: tug, docker: dock}
	switch {
	case tug.ok && dock.ok:
		r.ratio = fmt.Sprintf("tug/docker %.2f", tug.val/dock.val)
		r.verdict = verdict(tug, tug.val <= dock.val*goalFraction)
	case tug.ok:
		r.verdict = "n/a (no docker)"
	default:
		r.verdict = verdict(tug, false)
	}
	rows = append(rows, r)
	return rows
}

func (b *bench) index(e *engine) int {
	for i, x := range b.engines {
		if x == e {
			return i
		}
	}
	return 0
}

func verdict(tug cell, pass bool) string {
	switch {
	case tug.text == "interrupted":
		return "-"
	case !tug.ok:
		return "ERROR"
	case pass:
		return "PASS"
	default:
		return "MISS"
	}
}

func (b *bench) print(w *os.File, rows []row) {
	fmt.Fprintf(w, "\ntug vs docker — %d runs per latency metric after %d warm-up, wall time of the CLI process; %d CPUs\n", b.n, b.warm, runtime.NumCPU())
	for _, e := range b.engines {
		if e.err == nil {
			fmt.Fprintf(w, "  %s: %s -H %s, image %s\n", e.name, e.cli, e.host, e.image)
		}
	}
	if b.dockerNote != "" {
		fmt.Fprintf(w, "  docker: %s\n", b.dockerNote)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tTUG\tDOCKER\tRATIO\tGOAL\tRESULT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.metric, r.tug.text, r.docker.text, dash(r.ratio), r.goal, r.verdict)
	}
	_ = tw.Flush()
	for _, e := range b.engines {
		if e.name == "docker" && e.err != nil {
			fmt.Fprintf(w, "\ndocker: not available: %v\n", e.err)
		}
	}
	if len(b.notes) > 0 {
		fmt.Fprintln(w)
		for i, n := range b.notes {
			fmt.Fprintf(w, "[%d] %s\n", i+1, strings.ReplaceAll(n, "\n", "\n    "))
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(2)
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the current directory")
		}
		dir = parent
	}
}
