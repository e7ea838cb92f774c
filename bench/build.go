package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The build metrics: a 10-step Dockerfile (FROM the imported busybox, then
// ENV, WORKDIR, COPY and RUN steps) over a generated context of 1,000 small
// files in nested directories, built cold (--no-cache, a fresh copy of the
// context each run) and rebuilt unchanged (every step cached), on tug and
// on Docker's classic builder (DOCKER_BUILDKIT=0) in the same run. Docker's
// BuildKit (DOCKER_BUILDKIT=1) is measured too when the docker CLI can drive
// it offline; the FROM image exists locally on both sides, so nothing is
// pulled. tug's rebuild is also measured with the context sent as a tar
// stream (TUG_BUILD_CONTEXT=tar), the path every remote client takes.
const (
	buildFiles       = 1000
	buildColdRuns    = 3
	buildRebuildRuns = 7
	goalRebuildRatio = 0.5
	buildTimeout     = 5 * time.Minute
)

var buildOnly = flag.Bool("build-only", false, "measure only the build metrics (bench/build.go)")

// buildDockerfile is the benchmark's Dockerfile over image: 10 steps.
func buildDockerfile(image string) string {
	return "FROM " + image + "\n" +
		"ENV APP_HOME=/app BENCH=1\n" +
		"WORKDIR /app\n" +
		"COPY d0/ /app/d0/\n" +
		"RUN echo built > /built.txt && ls /app/d0 | wc -l > /d0.count\n" +
		"COPY . /app/\n" +
		"ENV BENCH_STEP=7\n" +
		"WORKDIR /app/d1\n" +
		"RUN find /app -type f | wc -l > /files.count\n" +
		"COPY Dockerfile /Dockerfile.copy\n"
}

// writeBuildContext writes the context: buildFiles small files, 10 top
// directories of 10 subdirectories of 10 files, plus the Dockerfile.
func writeBuildContext(dir, image string) error {
	n := 0
	for a := 0; a < 10; a++ {
		for b := 0; b < 10; b++ {
			sub := filepath.Join(dir, fmt.Sprintf("d%d", a), fmt.Sprintf("s%d", b))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
			for c := 0; c < buildFiles/100; c++ {
				body := strings.Repeat(fmt.Sprintf("file %d %d %d\n", a, b, c), 10+n%50)
				if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d.txt", c)), []byte(body), 0o644); err != nil {
					return err
				}
				n++
			}
		}
	}
	return os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(buildDockerfile(image)), 0o644)
}

// builder is one way of building on an engine: the engine's CLI (or
// another binary) with extra environment.
type builderMode struct {
	name string
	cli  string
	env  []string
}

// build runs one build and returns its wall time, CLI start to exit.
func (e *engine) build(ctx context.Context, m builderMode, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	full := append([]string{"-H", e.host, "build"}, args...)
	cmd := exec.CommandContext(ctx, m.cli, full...)
	cmd.Env = append(append([]string{}, e.env...), m.env...)
	cmd.WaitDelay = 5 * time.Second
	var stderr, stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, e.cliError(ctx, append([]string{"build"}, args...), err, append(stderr.Bytes(), tail(stdout.Bytes(), 400)...))
	}
	return d, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// buildResult is what one builder mode measured.
type buildResult struct {
	cold, rebuild time.Duration
	err           error
}

// measureBuild measures cold builds and unchanged rebuilds in one mode.
// Every image it tags is recorded in tags for removal.
func measureBuild(ctx context.Context, e *engine, m builderMode, prefix string, tags *[]string) buildResult {
	var res buildResult
	var cold []time.Duration
	var ctxDir string
	for i := 0; i < buildColdRuns; i++ {
		dir, err := os.MkdirTemp("", "tugbench-ctx-")
		if err != nil {
			return buildResult{err: err}
		}
		defer os.RemoveAll(dir)
		if err := writeBuildContext(dir, e.image); err != nil {
			return buildResult{err: err}
		}
		tag := fmt.Sprintf("%s-build-%s-cold%d", prefix, m.name, i)
		*tags = append(*tags, tag)
		d, err := e.build(ctx, m, "--no-cache", "-t", tag, dir)
		if err != nil {
			return buildResult{err: fmt.Errorf("cold build %d: %w", i+1, err)}
		}
		cold = append(cold, d)
		ctxDir = dir
	}
	res.cold = summarize(cold).median
	tag := fmt.Sprintf("%s-build-%s", prefix, m.name)
	*tags = append(*tags, tag)
	var re []time.Duration
	for i := -1; i < buildRebuildRuns; i++ { // i == -1: warm-up
		d, err := e.build(ctx, m, "-t", tag, ctxDir)
		if err != nil {
			return buildResult{err: fmt.Errorf("rebuild %d: %w", i+2, err)}
		}
		if i >= 0 {
			re = append(re, d)
		}
	}
	res.rebuild = summarize(re).median
	return res
}

// removeImages removes the images tagged by the build metrics.
func (e *engine) removeImages(ctx context.Context, tags []string) {
	if len(tags) == 0 {
		return
	}
	if _, err := e.run(ctx, nil, append([]string{"rmi", "-f"}, tags...)...); err != nil && !strings.Contains(strings.ToLower(err.Error()), "no such image") {
		fmt.Fprintf(os.Stderr, "warning: %v\n", err)
	}
}

// buildkitCLIs are the docker CLIs to try BuildKit with: the bench's CLI,
// then Debian's 20.10 CLI, which drives BuildKit without the buildx plugin.
func buildkitCLIs(e *engine) []string {
	out := []string{e.cli}
	for _, p := range []string{"/usr/bin/docker"} {
		if resolve(p) != resolve(e.cli) {
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				out = append(out, p)
			}
		}
	}
	return out
}

// buildkitMode finds a docker CLI that builds with BuildKit against e
// offline: a one-step build FROM the local image must succeed.
func buildkitMode(ctx context.Context, e *engine, prefix string) (builderMode, error) {
	dir, err := os.MkdirTemp("", "tugbench-bk-")
	if err != nil {
		return builderMode{}, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+e.image+"\nENV PROBE=1\n"), 0o644); err != nil {
		return builderMode{}, err
	}
	var errs []error
	for _, cli := range buildkitCLIs(e) {
		m := builderMode{name: "buildkit", cli: cli, env: []string{"DOCKER_BUILDKIT=1"}}
		tag := prefix + "-bkprobe"
		_, err := e.build(ctx, m, "-t", tag, dir)
		e.removeImages(ctx, []string{tag})
		if err == nil {
			return m, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", cli, err))
	}
	return builderMode{}, errors.Join(errs...)
}

// buildRows measures the build metrics on every engine.
func (b *bench) buildRows(ctx context.Context) []row {
	var tugTar, dockerBK buildResult
	bkNote := ""
	var cold, rebuild [2]cell
	cellOf := func(d time.Duration) cell {
		return cell{text: fmt.Sprintf("%.2f s", d.Seconds()), val: d.Seconds(), ok: true}
	}
	cold[0], cold[1] = b.each(ctx, func(e *engine) cell {
		var tags []string
		defer func() { e.removeImages(context.WithoutCancel(ctx), tags) }()
		var m builderMode
		switch e.name {
		case "tug":
			// TUG_BUILD_CONTEXT=tar: the context goes as a tar stream
			// even though tugd is on a local socket.
			progress("%s: build, %d-file context, tar stream (%d cold + 1 warm-up + %d rebuilds)", e.name, buildFiles, buildColdRuns, buildRebuildRuns)
			tugTar = measureBuild(ctx, e, builderMode{name: "tar", cli: e.cli, env: []string{"TUG_BUILD_CONTEXT=tar"}}, b.prefix, &tags)
			m = builderMode{name: "auto", cli: e.cli}
		default:
			progress("%s: build with BuildKit: probing", e.name)
			if bk, err := buildkitMode(ctx, e, b.prefix); err != nil {
				bkNote = fmt.Sprintf("BuildKit skipped: %v", err)
				progress("%s: %s", e.name, bkNote)
			} else {
				progress("%s: build with BuildKit (%s), %d-file context", e.name, bk.cli, buildFiles)
				dockerBK = measureBuild(ctx, e, bk, b.prefix, &tags)
			}
			m = builderMode{name: "classic", cli: e.cli, env: []string{"DOCKER_BUILDKIT=0"}}
		}
		progress("%s: build (%s), %d-file context (%d cold + 1 warm-up + %d rebuilds)", e.name, m.name, buildFiles, buildColdRuns, buildRebuildRuns)
		r := measureBuild(ctx, e, m, b.prefix, &tags)
		if r.err != nil {
			c := b.fail(r.err)
			rebuild[b.index(e)] = c
			return c
		}
		rebuild[b.index(e)] = cellOf(r.rebuild)
		return cellOf(r.cold)
	})
	for i := range rebuild {
		if rebuild[i].text == "" {
			rebuild[i] = cold[i] // not available / interrupted
		}
	}
	ratioRow := func(metric, goal string, tug, dock cell, goalRatio float64) row {
		r := row{metric: metric, goal: goal, tug: tug, docker: dock}
		switch {
		case tug.ok && dock.ok:
			r.ratio = fmt.Sprintf("tug/docker %.2f", tug.val/dock.val)
			if goalRatio > 0 {
				r.verdict = verdict(tug, tug.val <= dock.val*goalRatio)
			} else {
				r.verdict = "info"
			}
		case tug.ok:
			r.verdict = "n/a (no docker)"
		default:
			r.verdict = verdict(tug, false)
		}
		return r
	}
	ctxDesc := fmt.Sprintf("10 steps, %d-file context", buildFiles)
	rows := []row{
		ratioRow(fmt.Sprintf("build --no-cache, %s, vs classic builder (median of %d)", ctxDesc, buildColdRuns), "-", cold[0], cold[1], 0),
		ratioRow(fmt.Sprintf("unchanged rebuild, %s, vs classic builder (median of %d)", ctxDesc, buildRebuildRuns), "tug/docker ≤ 1/2", rebuild[0], rebuild[1], goalRebuildRatio),
	}
	// tug with the context as a tar stream, against the same classic numbers.
	tarCell := func(d time.Duration) cell {
		switch {
		case tugTar.err != nil:
			return b.fail(fmt.Errorf("tug (tar stream): %w", tugTar.err))
		case d == 0:
			return cold[0]
		}
		return cellOf(d)
	}
	rows = append(rows, ratioRow(fmt.Sprintf("unchanged rebuild, tug with a tar context (TUG_BUILD_CONTEXT=tar) vs classic (median of %d)", buildRebuildRuns), "tug/docker ≤ 1/2", tarCell(tugTar.rebuild), rebuild[1], goalRebuildRatio))
	// BuildKit, when the docker side drives it.
	switch {
	case len(b.engines) < 2 || b.engines[1].err != nil || !cold[1].ok && cold[1].text != "":
	case bkNote != "":
		b.notes = append(b.notes, bkNote)
		c := cell{text: fmt.Sprintf("skipped [%d]", len(b.notes))}
		rows = append(rows, ratioRow("unchanged rebuild vs BuildKit", "-", rebuild[0], c, 0))
	case dockerBK.err != nil:
		c := b.fail(fmt.Errorf("BuildKit: %w", dockerBK.err))
		rows = append(rows, ratioRow("unchanged rebuild vs BuildKit", "-", rebuild[0], c, 0))
	case dockerBK.rebuild > 0:
		rows = append(rows,
			ratioRow(fmt.Sprintf("build --no-cache, %s, vs BuildKit (median of %d)", ctxDesc, buildColdRuns), "-", cold[0], cellOf(dockerBK.cold), 0),
			ratioRow(fmt.Sprintf("unchanged rebuild, %s, vs BuildKit (median of %d)", ctxDesc, buildRebuildRuns), "tug/docker ≤ 1/2", rebuild[0], cellOf(dockerBK.rebuild), goalRebuildRatio))
	}
	return rows
}
