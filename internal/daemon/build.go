package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/distribution/reference"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/builder"
	"github.com/tug-project/tug/internal/bundle"
	"github.com/tug-project/tug/internal/confine"
	"github.com/tug-project/tug/internal/distribution"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/resources"
	"github.com/tug-project/tug/internal/runtime"
	"github.com/tug-project/tug/internal/volume"
)

// buildState is the daemon's builder, created on first use.
type buildState struct {
	once sync.Once
	b    *builder.Builder
	err  error
}

func (d *Daemon) builder(ctx context.Context) (*builder.Builder, error) {
	d.build.once.Do(func() {
		root := filepath.Join(d.cfg.Root, "builder")
		d.cleanupBuildRuns(ctx, filepath.Join(root, "run"))
		d.build.b, d.build.err = builder.New(root, d.images, d.content, d.snapshots, d)
	})
	return d.build.b, d.build.err
}

// Build runs POST /build.
func (d *Daemon) Build(ctx context.Context, body io.Reader, opts backend.BuildOptions, out backend.BuildOutput) (string, error) {
	b, err := d.builder(ctx)
	if err != nil {
		return "", err
	}
	auths, err := distribution.DecodeAuthConfigs(opts.RegistryConfigHeader)
	if err != nil {
		return "", err
	}
	ctx = context.WithValue(ctx, buildAuthsKey{}, auths) // for PullImage
	bopts := builder.Options{
		Dockerfile: opts.Dockerfile,
		Tags:       opts.Tags,
		BuildArgs:  opts.BuildArgs,
		Target:     opts.Target,
		NoCache:    opts.NoCache,
		Pull:       opts.Pull,
		Quiet:      opts.Quiet,
		Labels:     opts.Labels,
		Network:    opts.NetworkMode,
		ExtraHosts: opts.ExtraHosts,
	}
	var res builder.Result
	if opts.ContextDir != "" {
		if err := checkContextDir(opts.ContextDir, opts.ContextID); err != nil { // buildcontext.go
			return "", err
		}
		res, err = b.Build(ctx, opts.ContextDir, bopts, out)
	} else {
		res, err = b.BuildTar(ctx, body, bopts, out)
	}
	if err != nil {
		return "", err
	}
	return res.ID.String(), nil
}

// BuildCachePrune runs POST /build/prune.
func (d *Daemon) BuildCachePrune(ctx context.Context) (int64, error) {
	b, err := d.builder(ctx)
	if err != nil {
		return 0, err
	}
	rep, err := b.Prune(ctx)
	return rep.SpaceReclaimed, err
}

// buildAuthsKey carries a build's X-Registry-Config credentials to the
// builder's FROM pulls.
type buildAuthsKey struct{}

// PullImage pulls a FROM image for the builder, with the build's
// credentials for its registry (X-Registry-Config).
func (d *Daemon) PullImage(ctx context.Context, ref reference.Named) error {
	auths, _ := ctx.Value(buildAuthsKey{}).(map[string]registry.AuthConfig)
	return d.pull(ctx, distribution.PullOptions{
		Ref:  reference.TagNameOnly(ref),
		Auth: distribution.ResolveAuth(auths, reference.Domain(ref)),
	}, io.Discard)
}

func (d *Daemon) buildRunDir(id string) string {
	return filepath.Join(d.cfg.Root, "builder", "run", id)
}

// removeBuildLeftovers ends the build steps a daemon that died left
// running and removes what they left: the step's container and shim, its
// rootfs mount, snapshot, state and bundle directories (its network goes
// with the sandboxes of no container, reconcileNetwork). No build runs
// when it is called, at start.
func (d *Daemon) removeBuildLeftovers(ctx context.Context) {
	entries, err := os.ReadDir(filepath.Join(d.cfg.Root, "builder", "run"))
	if err != nil {
		return // none
	}
	for _, e := range entries {
		id := e.Name()
		d.killShim(ctx, id)
		bdl := bundle.Bundle{Dir: d.buildRunDir(id)}
		if err := bdl.Unmount(); err != nil {
			slog.WarnContext(ctx, "build leftover: unmounting rootfs", "id", id, "err", err)
			continue
		}
		_ = runtime.RemoveState(d.stateDir(id))
		if err := d.snapshots.Remove(ctx, id); err != nil && !isNotExist(err) {
			slog.WarnContext(ctx, "build leftover: removing snapshot", "id", id, "err", err)
			continue
		}
		_ = os.RemoveAll(bdl.Dir)
		slog.InfoContext(ctx, "removed a build step a stopped daemon left", "id", id)
	}
}

// RunBuildStep runs one RUN command in a build container: not a container
// of the store (never in `ps`, no events), on a snapshot of the layer chain,
// under the same runtime and isolation as containers, on the network
// req.Network names (the default bridge unless told otherwise; see
// setupBuildNetwork). It leaves nothing behind, also when ctx is cancelled.
func (d *Daemon) RunBuildStep(ctx context.Context, req builder.RunRequest) (retErr error) {
	id := req.ID
	if len(id) != 64 {
		return errdefs.InvalidParameter("invalid build container ID %q", id)
	}
	bdl := bundle.Bundle{Dir: d.buildRunDir(id)}
	stateDir := d.stateDir(id)
	if err := os.MkdirAll(bdl.Dir, 0o700); err != nil {
		return err
	}
	cleanup := func() {
		cctx := context.WithoutCancel(ctx)
		if err := bdl.Unmount(); err != nil {
			slog.WarnContext(cctx, "build: unmounting rootfs", "id", id, "err", err)
		}
		_ = runtime.RemoveState(stateDir)
		if err := d.snapshots.Remove(cctx, id); err != nil && !isNotExist(err) {
			slog.WarnContext(cctx, "build: removing snapshot", "id", id, "err", err)
		}
		_ = os.RemoveAll(bdl.Dir)
	}
	defer cleanup()

	mounts, err := d.snapshots.Prepare(ctx, id, req.ChainID)
	if err != nil {
		return fmt.Errorf("preparing rootfs: %w", err)
	}
	// Under userns-remap, RUN runs remapped, as in Docker.
	remap := d.cfg.Remap
	if mounts, err = d.remapRootfs(id, mounts, remap); err != nil {
		return err
	}
	if err := d.grantTraverse(bdl.Dir); err != nil {
		return err
	}
	upper, err := d.snapshots.UpperDir(id)
	if err != nil {
		return err
	}
	bnet, teardownNet, err := d.setupBuildNetwork(ctx, id, req.Network, req.ExtraHosts)
	if err != nil {
		return err
	}
	// Runs after the shim is gone (deferred below), before cleanup.
	defer teardownNet()
	volOpts, volDirs, err := buildStepVolumes(bdl.Dir, req.Volumes)
	if err != nil {
		return err
	}
	if remap != nil {
		uid, gid := remap.RootPair()
		for _, v := range volDirs {
			if err := os.Chown(v, uid, gid); err != nil {
				return err
			}
		}
	}
	// Docker's default confinement, as its classic builder gives RUN:
	// the default capabilities and seccomp profile, masked /proc paths.
	confined, err := confine.SpecOpt(&apicontainer.HostConfig{}, confine.Config{Host: confine.Probe()})
	if err != nil {
		return err
	}
	if _, err := bundle.Create(bundle.Config{
		Dir:    bdl.Dir,
		Rootfs: mounts,
		Etc:    bundle.Etc{Hostname: []byte(id[:12] + "\n"), Hosts: bnet.Hosts, ResolvConf: bnet.ResolvConf},
		Process: bundle.Process{
			ID:       id,
			Args:     req.Args,
			Env:      req.Env,
			Cwd:      req.WorkingDir,
			User:     req.User,
			Hostname: id[:12],
		},
		// daemon.json default-ulimits apply to RUN steps too; confinement last, as at start.
		Opts: slices.Concat([]oci.SpecOpt{bnet.NetNS, resources.RlimitsOpt(d.cfg.DefaultUlimits)}, usernsOpts(remap, bdl), volOpts, []oci.SpecOpt{confined}),
	}); err != nil {
		return err
	}
	if remap != nil {
		if err := bdl.ChownEtc(remap.RootPair()); err != nil {
			return err
		}
	}
	for i, v := range req.Volumes {
		if err := volume.CopyUp(bdl.Rootfs(), v, volDirs[i]); err != nil {
			return err
		}
	}
	client, err := d.shims.Spawn(ctx, runtime.Config{
		ID: id, Bundle: bdl.Dir, StateDir: stateDir, LogPath: filepath.Join(bdl.Dir, "log.json"),
	})
	if err != nil {
		return startExit(err)
	}
	defer stopBuildShim(context.WithoutCancel(ctx), client)
	attached := make(chan struct{})
	attachDone := make(chan struct{})
	go func() {
		defer close(attachDone)
		var once sync.Once
		_ = client.Attach(context.WithoutCancel(ctx), runtime.AttachStreams{
			Stdout: req.Stdout, Stderr: req.Stderr,
			Attached: func() { once.Do(func() { close(attached) }) },
		})
		once.Do(func() { close(attached) })
	}()
	select {
	case <-attached:
	case <-ctx.Done():
		return ctx.Err()
	}
	if _, err := client.Start(ctx); err != nil {
		return startExit(err)
	}
	stop := context.AfterFunc(ctx, func() { _ = client.Kill(context.Background(), syscall.SIGKILL) })
	exit, err := client.Wait(context.WithoutCancel(ctx))
	stop()
	<-attachDone
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	if exit.Code != 0 {
		return &builder.ExitError{Code: exit.Code}
	}
	if err := bdl.Unmount(); err != nil {
		return err
	}
	if req.Diff != nil {
		var ids archive.IDMap
		if remap != nil {
			ids = remap
		}
		return req.Diff(ctx, upper, ids)
	}
	return nil
}

// startExit maps a command that cannot run to the shell's exit codes.
func startExit(err error) error {
	if code := errdefs.ExitStatus(err, 0); code != 0 {
		return &builder.ExitError{Code: code}
	}
	return err
}

// cleanupBuildRuns removes what builds interrupted by a daemon crash left.
func (d *Daemon) cleanupBuildRuns(ctx context.Context, root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		id := e.Name()
		if c, err := runtime.Connect(ctx, d.stateDir(id)); err == nil {
			stopBuildShim(ctx, c)
		}
		_ = bundle.Bundle{Dir: filepath.Join(root, id)}.Unmount()
		_ = runtime.RemoveState(d.stateDir(id))
		_ = d.snapshots.Remove(ctx, id)
		_ = os.RemoveAll(filepath.Join(root, id))
	}
}

// stopBuildShim kills a build container's process, waits (bounded) until
// it is gone, since a shim refuses to shut down before, and shuts the shim
// down.
func stopBuildShim(ctx context.Context, c *runtime.Client) {
	_ = c.Kill(ctx, syscall.SIGKILL)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, _ = c.Wait(wctx)
	cancel()
	_ = c.Shutdown(ctx)
	_ = c.Close()
}

// buildStepVolumes makes one empty directory in the step's bundle for
// each of the image's VOLUMEs and returns the bind mounts of them; they
// go with the bundle directory.
func buildStepVolumes(dir string, vols []string) ([]oci.SpecOpt, []string, error) {
	var opts []oci.SpecOpt
	var dirs []string
	for i, v := range vols {
		p := filepath.Join(dir, "volumes", strconv.Itoa(i))
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, nil, err
		}
		opts = append(opts, oci.WithBindMount(p, v, false))
		dirs = append(dirs, p)
	}
	return opts, dirs, nil
}
