package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The pull metric: a 5-layer image of random data (~100 MB), pulled cold
// (after rmi) from a registry on 127.0.0.1 that the bench serves itself
// (go-containerregistry's in-process registry). Docker treats 127.0.0.0/8
// registries as insecure by default, so both engines use plain HTTP.
const (
	pullLayers     = 5
	pullLayerBytes = 20 << 20
	pullRuns       = 3
	goalPullRatio  = 0.5
)

// pullRegistry serves the test image and returns its reference and a stop func.
func pullRegistry(ctx context.Context) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	go func() { _ = srv.Serve(l) }()
	stop := func() { _ = srv.Close() }
	layers := make([]v1.Layer, pullLayers)
	for i := range layers {
		if layers[i], err = random.Layer(pullLayerBytes, types.DockerLayer); err != nil {
			stop()
			return "", nil, err
		}
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err == nil {
		var cf *v1.ConfigFile
		if cf, err = img.ConfigFile(); err == nil {
			cf = cf.DeepCopy()
			cf.OS, cf.Architecture = "linux", "amd64"
			img, err = mutate.ConfigFile(img, cf)
		}
	}
	if err != nil {
		stop()
		return "", nil, err
	}
	ref := l.Addr().String() + "/tugbench/pull:v1"
	r, err := name.ParseReference(ref)
	if err == nil {
		err = remote.Write(r, img, remote.WithContext(ctx))
	}
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("pushing the pull test image: %w", err)
	}
	return ref, stop, nil
}

// measurePull times pullRuns cold pulls of ref and returns the median
// and when each run went (for the breakdown).
func measurePull(ctx context.Context, e *engine, ref string) (time.Duration, []window, error) {
	var samples []time.Duration
	var windows []window
	for i := 0; i < pullRuns; i++ {
		_, _ = e.run(ctx, nil, "rmi", "-f", ref)
		start := time.Now()
		d, err := e.timed(ctx, "pull", ref)
		if err != nil {
			return 0, nil, err
		}
		samples = append(samples, d)
		windows = append(windows, window{start: start, end: time.Now()})
	}
	_, _ = e.run(ctx, nil, "rmi", "-f", ref)
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	return samples[len(samples)/2], windows, nil
}

// pullRows measures the cold pulls on every engine: the random 5-layer
// image, then the distro image (distro.go) from the same registry.
func (b *bench) pullRows(ctx context.Context) []row {
	metric := fmt.Sprintf("cold pull, %d layers %d MB, loopback registry (median of %d)", pullLayers, pullLayers*pullLayerBytes>>20, pullRuns)
	r := row{metric: metric, goal: "tug/docker ≤ 1/2"}
	progress("pull: building and pushing a %d MB test image to a loopback registry", pullLayers*pullLayerBytes>>20)
	ref, stop, err := pullRegistry(ctx)
	if err != nil {
		c := b.fail(err)
		r.tug, r.docker, r.verdict = c, c, "ERROR"
		return []row{r}
	}
	defer stop()
	addr, _, _ := strings.Cut(ref, "/")
	return []row{b.pullRow(ctx, r, ref), b.distroRow(ctx, addr)}
}

// pullRow measures the cold pull of ref on every engine.
func (b *bench) pullRow(ctx context.Context, r row, ref string) row {
	r.tug, r.docker = b.each(ctx, func(e *engine) cell {
		progress("%s: pull %s (%d cold runs)", e.name, ref, pullRuns)
		d, _, err := measurePull(ctx, e, ref)
		if err != nil {
			return b.fail(err)
		}
		return cell{text: fmt.Sprintf("%.2f s", d.Seconds()), val: d.Seconds(), ok: true}
	})
	switch {
	case r.tug.ok && r.docker.ok:
		r.ratio = fmt.Sprintf("tug/docker %.2f", r.tug.val/r.docker.val)
		r.verdict = verdict(r.tug, r.tug.val <= r.docker.val*goalPullRatio)
	case r.tug.ok:
		r.verdict = "n/a (no docker)"
	default:
		r.verdict = verdict(r.tug, false)
	}
	return r
}
