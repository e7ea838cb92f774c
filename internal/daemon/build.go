package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/distribution/reference"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/atomicfile"
	"github.com/tug-project/tug/internal/builder"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/runtime"
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

// PullImage pulls a FROM image for the builder.
func (d *Daemon) PullImage(ctx context.Context, ref reference.Named) error {
	return d.ImagePull(ctx, backend.ImagePullOptions{Ref: reference.TagNameOnly(ref)}, io.Discard)
}

func (d *Daemon) buildRunDir(id string) string {
	return filepath.Join(d.cfg.Root, "builder", "run", id)
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
	dir := d.buildRunDir(id)
	rootfs := filepath.Join(dir, "rootfs")
	stateDir := d.stateDir(id)
	if err := os.MkdirAll(rootfs, 0o700); err != nil {
		return err
	}
	cleanup := func() {
		cctx := context.WithoutCancel(ctx)
		if err := mount.UnmountAll(rootfs); err != nil {
			slog.WarnContext(cctx, "build: unmounting rootfs", "id", id, "err", err)
		}
		_ = os.RemoveAll(stateDir)
		if err := d.snapshots.Remove(cctx, id); err != nil && !isNotExist(err) {
			slog.WarnContext(cctx, "build: removing snapshot", "id", id, "err", err)
		}
		_ = os.RemoveAll(dir)
	}
	defer cleanup()

	mounts, err := d.snapshots.Prepare(ctx, id, req.ChainID)
	if err != nil {
		return fmt.Errorf("preparing rootfs: %w", err)
	}
	upper := ""
	initDir := filepath.Join(dir, "init")
	if err := makeInitLayer(initDir); err != nil {
		return err
	}
	for i, o := range mounts[0].Options {
		if v, ok := strings.CutPrefix(o, "upperdir="); ok {
			upper = v
		}
		if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
			mounts[0].Options[i] = "lowerdir=" + initDir + ":" + v
		}
	}
	if upper == "" {
		return errors.New("build: snapshot has no upper dir")
	}
	if err := mount.All(mounts, rootfs); err != nil {
		return fmt.Errorf("mounting rootfs: %w", err)
	}
	bnet, teardownNet, err := d.setupBuildNetwork(ctx, id, req.Network)
	if err != nil {
		return err
	}
	// Runs after the shim is gone (deferred below), before cleanup.
	defer teardownNet()
	for name, body := range map[string][]byte{"hostname": []byte(id[:12] + "\n"), "hosts": bnet.hosts, "resolv.conf": bnet.resolv} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			return err
		}
	}
	opts := []oci.SpecOpt{
		oci.WithRootfs(rootfs),
		oci.WithArgs(req.Args),
		oci.WithEnv(req.Env),
		oci.WithCwd(workdir(req.WorkingDir)),
		oci.WithHostname(id[:12]),
		oci.WithUser(rootfs, req.User),
		oci.WithCgroupsPath("/tug/" + id),
		oci.WithBindMount(filepath.Join(dir, "hostname"), "/etc/hostname", false),
		oci.WithBindMount(filepath.Join(dir, "hosts"), "/etc/hosts", false),
		oci.WithBindMount(filepath.Join(dir, "resolv.conf"), "/etc/resolv.conf", false),
	}
	opts = append(opts, bnet.opt)
	spec, err := oci.New(opts...)
	if err != nil {
		return err
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		return err
	}
	client, err := runtime.Spawn(ctx, d.cfg.ShimBinary, runtime.Config{
		ID: id, Bundle: dir, StateDir: stateDir, LogPath: filepath.Join(dir, "log.json"),
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
	if err := mount.UnmountAll(rootfs); err != nil {
		return err
	}
	if req.Diff != nil {
		return req.Diff(ctx, upper)
	}
	return nil
}

// startExit maps a command that cannot run to the shell's exit codes.
func startExit(err error) error {
	switch {
	case errors.Is(err, errdefs.ErrCommandNotFound):
		return &builder.ExitError{Code: 127}
	case errors.Is(err, errdefs.ErrCannotInvoke):
		return &builder.ExitError{Code: 126}
	}
	return err
}

// makeInitLayer makes the lower layer holding the mount points a
// container needs, so that they never show up in a RUN step's diff (as
// Docker's "-init" layer).
func makeInitLayer(dir string) error {
	for _, d := range []string{"proc", "sys", "dev", "dev/pts", "dev/shm", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range []string{"etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			return err
		}
	}
	return nil
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
		_ = mount.UnmountAll(filepath.Join(root, id, "rootfs"))
		_ = os.RemoveAll(d.stateDir(id))
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
