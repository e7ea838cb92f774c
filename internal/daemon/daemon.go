package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/bundle"
	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/content"
	"github.com/tug-project/tug/internal/distribution"
	"github.com/tug-project/tug/internal/events"
	"github.com/tug-project/tug/internal/image"
	"github.com/tug-project/tug/internal/logger"
	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/network/controller"
	"github.com/tug-project/tug/internal/resources"
	"github.com/tug-project/tug/internal/runtime"
	"github.com/tug-project/tug/internal/snapshot/overlay"
	"github.com/tug-project/tug/internal/userns"
	"github.com/tug-project/tug/internal/volume"
)

// Config is how tugd was started.
type Config struct {
	Root       string // --data-root
	ExecRoot   string // --exec-root
	ShimBinary string // tug-shim: each container's shim and init
	// MonitorBinary is tug-monitor: what each shim becomes once its
	// container is created.
	MonitorBinary string
	HelloBinary   string // the built-in hello-world program, imported at start if present
	PauseBinary   string // the built-in pause program of CRI pods, imported at start if set and present
	Version       string
	Debug         bool // --debug: reported by info

	RegistryMirrors    []string            // daemon.json registry-mirrors
	HostMirrors        map[string][]string // daemon.json cri registry-mirrors: registry host -> mirror URLs
	InsecureRegistries []string            // daemon.json insecure-registries
	Network            NetworkConfig       // network.go
	LogOpts            map[string]string   // daemon.json log-opts: json-file defaults (max-size, max-file)
	Init               bool                // daemon.json init: run --init unless the container says otherwise
	// Remap is daemon.json userns-remap, resolved: containers run in a
	// user namespace with its mappings unless they say --userns host.
	Remap *userns.Remap

	LogDriver      string                 // daemon.json log-driver: json-file (default) or none
	Labels         []string               // daemon.json labels: key=value, shown by info
	DefaultUlimits []*apicontainer.Ulimit // daemon.json default-ulimits: for containers and build steps
	MaxDownloads   int                    // daemon.json max-concurrent-downloads (default 3)
	MaxUploads     int                    // daemon.json max-concurrent-uploads (default 5)
}

// logDriver is the log driver of containers that name none.
func (d *Daemon) logDriver() string {
	if d.cfg.LogDriver == "" {
		return logger.DriverJSONFile
	}
	return d.cfg.LogDriver
}

// checkConfig refuses settings tugd cannot honour, naming the key.
func checkConfig(cfg Config) error {
	if _, err := logger.ParseOptions(cfg.LogOpts); err != nil {
		return fmt.Errorf("log-opts: %w", err)
	}
	if cfg.LogDriver != "" {
		if err := logger.ValidateDriver(cfg.LogDriver); err != nil {
			return fmt.Errorf("log-driver: %w", err)
		}
		if cfg.LogDriver == logger.DriverNone {
			if err := logger.NoOptions(cfg.LogOpts); err != nil {
				return fmt.Errorf("log-opts: %w", err)
			}
		}
	}
	for _, l := range cfg.Labels {
		if k, _, ok := strings.Cut(l, "="); !ok || k == "" {
			return fmt.Errorf("labels: invalid label '%s': labels must be key=value", l)
		}
	}
	if err := resources.ValidateUlimits(cfg.DefaultUlimits, resources.ThisHost()); err != nil {
		return fmt.Errorf("default-ulimits: %w", err)
	}
	if cfg.MaxDownloads < 0 || cfg.MaxUploads < 0 {
		return errors.New("max-concurrent-downloads and max-concurrent-uploads must be positive")
	}
	return nil
}

// Daemon owns images and containers.
type Daemon struct {
	cfg        Config
	containers *container.Store
	content    *content.Store
	snapshots  *overlay.Snapshotter
	images     *image.Store
	dist       *distribution.Service
	events     *events.Bus
	net        *controller.Controller
	volumes    *volume.Store
	shims      *runtime.Pool // a warm shim for the next start
	build      buildState    // build.go
	started    time.Time

	mu        sync.Mutex
	tasks     map[string]*task            // running containers by ID
	attachers map[string][]*pendingAttach // attached before start, by ID
	execs     map[string]*execRecord      // exec instances by exec ID (exec.go)
	health    healthMonitors              // health.go

	bg     context.Context // lives as long as the daemon; parent of monitors
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// task is the daemon's handle on a running container's shim.
type task struct {
	client *runtime.Client
	// stopping is set when a user asked for the stop, so the restart
	// policy does not bring the container back.
	stopping bool
}

// New opens the stores under cfg.Root, reconnects to the shims of running
// containers and cleans up after those that ended while tugd was away.
func New(ctx context.Context, cfg Config) (*Daemon, error) {
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	for _, dir := range []string{cfg.Root, cfg.ExecRoot} {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return nil, err
		}
	}
	if cfg.Remap != nil {
		uid, gid := cfg.Remap.RootPair()
		if err := userns.CheckAccess(cfg.Root, uid, gid); err != nil {
			return nil, err
		}
	}
	cs, err := content.NewStore(filepath.Join(cfg.Root, "content"))
	if err != nil {
		return nil, fmt.Errorf("content store: %w", err)
	}
	sn, err := overlay.New(filepath.Join(cfg.Root, "overlay"))
	if err != nil {
		return nil, fmt.Errorf("snapshotter: %w", err)
	}
	if cfg.Remap != nil {
		// Remapped containers see the image layers through id-mapped mounts.
		if err := mount.CheckIDMap(sn.Root(), *cfg.Remap.MountIDMap()); err != nil {
			return nil, fmt.Errorf("userns-remap needs id-mapped mounts of the image layers, which this kernel or the filesystem of %s cannot do: %w", sn.Root(), err)
		}
	}
	is, err := image.NewStore(filepath.Join(cfg.Root, "image"), cs, sn)
	if err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	ctrs, err := container.NewStore(filepath.Join(cfg.Root, "containers"))
	if err != nil {
		return nil, fmt.Errorf("container store: %w", err)
	}
	var volOpts []volume.Option
	if cfg.Remap != nil {
		volOpts = append(volOpts, volume.WithDataOwner(cfg.Remap.RootPair()))
	}
	vs, err := volume.NewStore(filepath.Join(cfg.Root, "volumes"), volOpts...)
	if err != nil {
		return nil, fmt.Errorf("volume store: %w", err)
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d := &Daemon{
		cfg:        cfg,
		containers: ctrs,
		content:    cs,
		snapshots:  sn,
		images:     is,
		volumes:    vs,
		shims:      runtime.NewPool(runtime.Binaries{Shim: cfg.ShimBinary, Monitor: cfg.MonitorBinary}, cfg.ExecRoot),
		events:     events.New(),
		started:    time.Now(),
		tasks:      map[string]*task{},
		attachers:  map[string][]*pendingAttach{},
		bg:         bg,
		cancel:     cancel,
	}
	d.dist = distribution.New(distribution.Config{
		Mirrors: cfg.RegistryMirrors, HostMirrors: cfg.HostMirrors, Insecure: cfg.InsecureRegistries, UserAgent: "tug/" + cfg.Version,
		MaxDownloads: cfg.MaxDownloads, MaxUploads: cfg.MaxUploads,
	}, cs, sn, is)
	if cfg.HelloBinary != "" {
		if err := is.EnsureHelloWorld(ctx, cfg.HelloBinary); err != nil {
			slog.WarnContext(ctx, "built-in hello-world image not imported", "err", err)
		}
	}
	if cfg.PauseBinary != "" {
		if err := is.EnsurePause(ctx, cfg.PauseBinary); err != nil {
			slog.WarnContext(ctx, "built-in pause image not imported", "err", err)
		}
	}
	if err := d.initNetwork(ctx); err != nil {
		return nil, fmt.Errorf("networking: %w", err)
	}
	d.restoreVolumes(ctx)
	d.removeBuildLeftovers(ctx)
	d.restore(ctx)
	d.removeOrphanSnapshots(ctx)
	d.reconcileNetwork(ctx)
	if err := is.GC(ctx); err != nil {
		slog.WarnContext(ctx, "removing unused layers", "err", err)
	}
	return d, nil
}

// restore brings the in-memory state in line with the shims that are still
// there: running containers are reattached, ended ones are recorded.
func (d *Daemon) restore(ctx context.Context) {
	for _, c := range d.containers.List() {
		c.Lock()
		if c.State.Status == "removing" || c.State.Status == "dead" {
			c.Unlock()
			// A --rm container's shim may still be there (autoremove.go).
			d.shutdownShim(ctx, c.ID, nil)
			if err := d.removeContainer(ctx, c, false); err != nil {
				slog.WarnContext(ctx, "removing leftover container", "id", c.ID, "err", err)
			}
			continue
		}
		if !c.State.ShimStarted {
			restarting := c.State.Status == "restarting"
			c.Unlock()
			if restarting {
				// Its restart was pending when the last daemon went away.
				go d.restartLater(c)
			}
			continue
		}
		if !c.State.Running {
			// The last daemon went away between spawning the shim and
			// starting the process: undo the start.
			d.abandonStart(ctx, c)
			c.Unlock()
			continue
		}
		client, err := runtime.Connect(ctx, d.stateDir(c.ID))
		if err != nil {
			// The shim is gone: the container ended while we were away.
			exit, rerr := runtime.ReadExit(d.stateDir(c.ID))
			if rerr != nil {
				exit = runtime.Exit{Code: 255, ExitedAt: time.Now()}
			}
			c.Unlock()
			d.handleExit(ctx, c, nil, exit)
			continue
		}
		t := &task{client: client}
		d.mu.Lock()
		d.tasks[c.ID] = t
		d.mu.Unlock()
		d.armHealth(c, t, false)
		c.Unlock()
		d.monitor(c, t)
		slog.InfoContext(ctx, "reconnected to running container", "id", c.ID, "name", c.Name)
	}
}

// removeOrphanSnapshots removes the snapshots of --rm containers that a
// machine crash left without their container (create.go makes both
// without fsyncs): those whose container directory is gone.
func (d *Daemon) removeOrphanSnapshots(ctx context.Context) {
	removed, err := d.snapshots.RemoveEphemeral(ctx, func(key string) bool {
		_, err := os.Lstat(d.containers.Dir(key))
		return err == nil
	})
	if err != nil {
		slog.WarnContext(ctx, "removing the snapshots of lost --rm containers", "err", err)
	}
	for _, key := range removed {
		slog.InfoContext(ctx, "removed the snapshot of a --rm container lost in a crash", "id", key)
	}
}

// abandonStart undoes a start the last daemon did not finish: the shim
// and its created container, the rootfs mount, the network. Call with c's
// lock held.
func (d *Daemon) abandonStart(ctx context.Context, c *container.Container) {
	d.killShim(ctx, c.ID)
	if err := d.bundle(c.ID).Unmount(); err != nil {
		slog.WarnContext(ctx, "unmounting rootfs", "id", c.ID, "err", err)
	}
	d.unmountVolumes(ctx, c)
	_ = runtime.RemoveState(d.stateDir(c.ID))
	d.net.Detach(ctx, c.ID)
	c.SetStartFailed(128, errors.New("tugd stopped while the container was starting"))
	if err := d.containers.Save(c); err != nil {
		slog.WarnContext(ctx, "saving container state", "id", c.ID, "err", err)
	}
}

// killShim ends the container of the shim of id, if one answers, and the
// shim with it.
func (d *Daemon) killShim(ctx context.Context, id string) {
	client, err := runtime.Connect(ctx, d.stateDir(id))
	if err != nil {
		return
	}
	_ = client.Kill(ctx, syscall.SIGKILL)
	if _, err := client.Wait(ctx); err == nil {
		_ = client.Shutdown(ctx)
	}
	_ = client.Close()
}

// Close stops watching containers. Running containers keep running under
// their shims; the next daemon reconnects to them. The warm shim ends.
func (d *Daemon) Close() error {
	d.cancel()
	d.shims.Close()
	d.mu.Lock()
	for _, t := range d.tasks {
		_ = t.client.Close()
	}
	d.mu.Unlock()
	d.wg.Wait()
	d.net.Close(context.Background())
	return nil
}

func (d *Daemon) stateDir(id string) string {
	// Short, because the shim's socket lives there (unix socket paths are
	// limited to 108 bytes).
	return filepath.Join(d.cfg.ExecRoot, "c", id)
}

// bundle is container id's bundle, in its directory of the store.
func (d *Daemon) bundle(id string) bundle.Bundle {
	return bundle.Bundle{Dir: d.containers.Dir(id)}
}

func (d *Daemon) task(id string) *task {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tasks[id]
}

// lookup finds a container by reference.
func (d *Daemon) lookup(ref string) (*container.Container, error) {
	return d.containers.Get(ref)
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
