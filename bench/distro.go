package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The distro pull metric (issue 16): a real distribution's root filesystem
// as one gzip layer — Debian bookworm made by Debian's debootstrap
// (minbase variant) — pushed to the bench's loopback registry and pulled
// cold by both engines. debootstrap fetches the packages from the
// machine's Debian mirror once; the layer is cached in distroCache.
const (
	distroCache = "/var/cache/tug-bench"
	distroSuite = "bookworm"
	distroLayer = "debian-" + distroSuite + "-minbase.tar.gz"
)

// distroTarball returns the cached gzip layer, making it with debootstrap
// when it is not there yet.
func distroTarball(ctx context.Context) (string, error) {
	path := filepath.Join(distroCache, distroLayer)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return "", errors.New("debootstrap is not installed (apt-get install debootstrap): the distro image is made with it")
	}
	if err := os.MkdirAll(distroCache, 0o755); err != nil {
		return "", err
	}
	root, err := os.MkdirTemp(distroCache, "rootfs-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(root)
	progress("pull: making a Debian %s root filesystem with debootstrap (once; cached in %s)", distroSuite, distroCache)
	out, err := exec.CommandContext(ctx, "debootstrap", "--variant=minbase", distroSuite, root).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("debootstrap: %v\n%s", err, tail(out, 2000))
	}
	// The downloaded packages stay in the rootfs: a distro image has none.
	debs, _ := filepath.Glob(filepath.Join(root, "var/cache/apt/archives/*.deb"))
	for _, d := range debs {
		if err := os.Remove(d); err != nil {
			return "", err
		}
	}
	tmp := path + ".tmp"
	out, err = exec.CommandContext(ctx, "sh", "-c", `tar --numeric-owner -C "$1" -cf - . | gzip -6 > "$2"`, "sh", root, tmp).CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("packing the root filesystem: %v\n%s", err, out)
	}
	return path, os.Rename(tmp, path)
}

// pushDistro pushes the distro image to the registry at addr and returns
// its reference and the layer's compressed and unpacked sizes.
func pushDistro(ctx context.Context, addr, layerPath string) (ref string, gz, raw int64, err error) {
	layer, err := tarball.LayerFromFile(layerPath)
	if err != nil {
		return "", 0, 0, err
	}
	if gz, err = layer.Size(); err != nil {
		return "", 0, 0, err
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		return "", 0, 0, err
	}
	raw, err = io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil {
		return "", 0, 0, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return "", 0, 0, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", 0, 0, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Cmd = []string{"bash"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return "", 0, 0, err
	}
	ref = addr + "/tugbench/debian:" + distroSuite
	r, err := name.ParseReference(ref)
	if err == nil {
		err = remote.Write(r, img, remote.WithContext(ctx))
	}
	if err != nil {
		return "", 0, 0, fmt.Errorf("pushing the distro image: %w", err)
	}
	return ref, gz, raw, nil
}

// distroRow measures the cold pull of the distro image on every engine.
func (b *bench) distroRow(ctx context.Context, addr string) row {
	r := row{metric: "cold pull, Debian " + distroSuite + " (debootstrap minbase, one gzip layer), loopback registry (median of 3)", goal: "tug/docker ≤ 1/2"}
	fail := func(err error) row {
		c := b.fail(err)
		r.tug, r.docker, r.verdict = c, c, "ERROR"
		return r
	}
	layer, err := distroTarball(ctx)
	if err != nil {
		return fail(err)
	}
	ref, gz, raw, err := pushDistro(ctx, addr, layer)
	if err != nil {
		return fail(err)
	}
	r.metric = fmt.Sprintf("cold pull, Debian %s (debootstrap minbase: one %d MiB gzip layer, %d MiB unpacked), loopback registry (median of %d)", distroSuite, gz>>20, raw>>20, pullRuns)
	r.tug, r.docker = b.each(ctx, func(e *engine) cell {
		progress("%s: pull %s (%d cold runs)", e.name, ref, pullRuns)
		d, windows, err := measurePull(ctx, e, ref)
		if err != nil {
			return b.fail(err)
		}
		if e.trace != "" {
			b.addBreakdown(e, "pull "+ref, windows) // breakdown.go
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
