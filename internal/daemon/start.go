package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"syscall"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/sys/signal"

	"github.com/tug-project/tug/internal/bundle"
	"github.com/tug-project/tug/internal/confine"
	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/logger"
	"github.com/tug-project/tug/internal/network/links"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/procsig"
	"github.com/tug-project/tug/internal/resources"
	"github.com/tug-project/tug/internal/runtime"
	"github.com/tug-project/tug/internal/trace"
)

// faultAfterSpawn makes tugd exit right after spawning a shim, for the
// tests of what the next tugd does with a start left half-done.
var faultAfterSpawn = os.Getenv("TUGD_FAULT") == "after-spawn"

// ContainerStart starts a created or stopped container.
func (d *Daemon) ContainerStart(ctx context.Context, ref string) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	c.Lock()
	switch {
	case c.State.Running:
		c.Unlock()
		return errdefs.NotModified("container already started")
	case c.State.Status == apicontainer.StateRemoving, c.State.Dead:
		c.Unlock()
		return errdefs.Conflict("container is marked for removal and cannot be started")
	}
	err = d.start(ctx, c)
	c.Unlock()
	if err != nil {
		// Attachers waiting for this start give up, and a --rm container
		// that never ran is removed, as Docker does.
		d.releaseAttachers(c.ID, nil)
		if c.HostConfig.AutoRemove {
			if rerr := d.remove(ctx, c, true, true); rerr != nil {
				slog.WarnContext(ctx, "auto-removing container after failed start", "id", c.ID, "err", rerr)
			}
		}
	}
	return err
}

// start runs c under a new shim. Call with c's lock held.
func (d *Daemon) start(ctx context.Context, c *container.Container) (retErr error) {
	ctx = context.WithoutCancel(ctx) // a start, once begun, is finished or undone
	bdl := d.bundle(c.ID)
	stateDir := d.stateDir(c.ID)
	defer func() {
		if retErr == nil {
			return
		}
		_ = bdl.Unmount()
		d.unmountVolumes(ctx, c)
		_ = runtime.RemoveState(stateDir)
		d.net.Detach(ctx, c.ID)
		c.SetStartFailed(errdefs.ExitStatus(retErr, 128), retErr)
		_ = d.containers.Save(c)
	}()

	remap := d.remapOf(c.HostConfig)
	mounts, err := d.rootfsMounts(ctx, c.ID, remap)
	if err != nil {
		return fmt.Errorf("rootfs of %s: %w", c.ID, err)
	}
	if err := d.grantTraverse(bdl.Dir); err != nil {
		return err
	}
	endNet := trace.Span("start/network")
	att, joined, err := d.attachNetwork(ctx, c)
	endNet()
	if err != nil {
		return err
	}
	if att.Release != nil {
		defer att.Release()
	}
	var etcDir string
	if joined != nil {
		// Its network's identity is the joined container's.
		etcDir = d.bundle(joined.ID).Dir
		c.Config.Hostname, c.Config.Domainname = joined.Config.Hostname, joined.Config.Domainname
	}
	endOpts := trace.Span("start/spec-opts")
	opts, err := d.specOpts(c)
	endOpts()
	if err != nil {
		return err
	}
	opts = append(opts, usernsOpts(remap, bdl)...) // after confinement: it reads the namespaces it set
	endBundle := trace.Span("start/bundle")
	_, err = bundle.Create(bundle.Config{
		Dir:    bdl.Dir,
		Rootfs: mounts,
		Etc:    bundle.Etc{Hosts: att.Hosts, ResolvConf: att.ResolvConf},
		Process: bundle.Process{
			ID:       c.ID,
			Args:     append([]string{c.Path}, c.Args...),
			Env:      links.MergeEnv(att.LinkEnv, c.Config.Env),
			Cwd:      c.Config.WorkingDir,
			User:     c.Config.User,
			Hostname: c.Config.Hostname,
			Terminal: c.Config.Tty,
			EtcDir:   etcDir,
		},
		Opts: append([]oci.SpecOpt{att.NetNS}, opts...),
	})
	endBundle()
	if err != nil {
		return err
	}
	if remap != nil {
		if err := bdl.ChownEtc(remap.RootPair()); err != nil {
			return err
		}
	}
	if err := d.copyUpVolumes(c, bdl.Rootfs()); err != nil {
		return err
	}
	// Recorded before the shim exists, so a daemon killed from here on
	// finds the shim (or its leftovers) at its next start.
	c.State.ShimStarted = true
	endSave := trace.Span("start/save")
	err = d.containers.SaveUnsynced(c)
	endSave()
	if err != nil {
		return err
	}
	var rot logger.Rotation
	var format logger.Format
	switch {
	case c.HostConfig != nil && c.HostConfig.LogConfig.Type == logger.CRIDriver:
		format = logger.FormatCRI
	case c.HostConfig != nil:
		rot, _ = logger.ParseOptions(c.HostConfig.LogConfig.Config) // validated at create
	}
	spawnStart := time.Now()
	client, err := d.shims.Spawn(ctx, runtime.Config{
		ID:        c.ID,
		Bundle:    bdl.Dir,
		StateDir:  stateDir,
		LogPath:   c.LogPath,
		LogRotate: rot,
		LogFormat: format,
		Terminal:  c.Config.Tty,
		OpenStdin: c.Config.OpenStdin,
		StdinOnce: c.Config.StdinOnce,
	})
	if err != nil {
		return fmt.Errorf("failed to create task for container: %w", err)
	}
	if faultAfterSpawn {
		os.Exit(137) // fault injection for tests: die like a SIGKILL mid-start
	}
	t := &task{client: client}
	d.mu.Lock()
	d.tasks[c.ID] = t
	d.mu.Unlock()

	// Attachers that came before the start are connected before the
	// process runs, so they see its first byte.
	d.releaseAttachers(c.ID, client)

	spawned := time.Now()
	trace.Add("start/shim-spawn", spawnStart, spawned)
	pid, err := client.Start(ctx)
	trace.Add("start/shim-start", spawned, time.Now())
	slog.DebugContext(ctx, "container started", "id", c.ID, "spawn", spawned.Sub(spawnStart), "start", time.Since(spawned))
	if err != nil {
		_ = client.Kill(ctx, syscall.SIGKILL)
		_ = client.Shutdown(ctx)
		_ = client.Close()
		d.mu.Lock()
		delete(d.tasks, c.ID)
		d.mu.Unlock()
		return fmt.Errorf("failed to start container: %w", err)
	}
	c.SetRunning(pid, time.Now().UTC())
	d.armHealth(c, t, true)
	endSave = trace.Span("start/save-running")
	if err := d.containers.SaveUnsynced(c); err != nil {
		slog.ErrorContext(ctx, "saving container state", "id", c.ID, "err", err)
	}
	endSave()
	d.events.Publish(apievents.ContainerEventType, apievents.ActionStart, c.ID, d.containerAttrs(c))
	d.monitor(c, t)
	return nil
}

// specOpts are the spec options of c beyond what every container process
// has (bundle.Spec) and its network: console size, domain name, mounts,
// resources, confinement.
func (d *Daemon) specOpts(c *container.Container) ([]oci.SpecOpt, error) {
	var opts []oci.SpecOpt
	if cs := c.HostConfig.ConsoleSize; c.Config.Tty && cs[0] > 0 && cs[1] > 0 {
		opts = append(opts, oci.WithConsoleSize(cs[0], cs[1]))
	}
	if c.Config.Domainname != "" {
		opts = append(opts, oci.WithDomainname(c.Config.Domainname))
	}
	if len(c.HostConfig.Annotations) > 0 {
		opts = append(opts, oci.WithAnnotations(c.HostConfig.Annotations))
	}
	mounts, err := d.mountOpts(c)
	if err != nil {
		return nil, err
	}
	opts = append(opts, mounts...)
	// daemon.json default-ulimits join the container's own (not recorded
	// in its HostConfig, as in Docker).
	withDefaults := *c.HostConfig
	withDefaults.Ulimits = resources.MergeUlimits(c.HostConfig.Ulimits, d.cfg.DefaultUlimits)
	opts = append(opts, resources.SpecOpt(c.ID, &withDefaults))
	// Confinement last: it adjusts the process, user and mounts above.
	confined, err := confine.SpecOpt(c.HostConfig, confine.Config{Host: confine.Probe(), Init: d.cfg.Init, Lookup: func(ref string) (confine.Peer, error) { return d.confinePeer(c.ID, ref) }})
	if err != nil {
		return nil, err
	}
	return append(opts, confined), nil
}

// monitor waits for the container's exit in the background.
func (d *Daemon) monitor(c *container.Container, t *task) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		exit, err := t.client.Wait(d.bg)
		if err != nil {
			if d.bg.Err() != nil {
				return // the daemon is shutting down; the shim carries on
			}
			slog.Warn("lost the shim of a container", "id", c.ID, "err", err)
			if e, rerr := runtime.ReadExit(d.stateDir(c.ID)); rerr == nil {
				exit = e
			} else {
				exit = runtime.Exit{Code: 255, ExitedAt: time.Now()}
			}
		}
		d.handleExit(d.bg, c, t, exit)
	}()
}

// handleExit records an exit, releases the rootfs and the shim, and applies
// --rm and the restart policy.
func (d *Daemon) handleExit(ctx context.Context, c *container.Container, t *task, exit runtime.Exit) {
	ctx = context.WithoutCancel(ctx)
	d.disarmHealth(c.ID)
	c.Lock()
	if c.HostConfig.AutoRemove && fastRemoval(c) {
		d.removeAfterExit(ctx, c, t, exit) // autoremove.go; unlocks c
		return
	}
	d.shutdownShim(ctx, c.ID, t)
	d.mu.Lock()
	if d.tasks[c.ID] == t {
		delete(d.tasks, c.ID)
	}
	d.mu.Unlock()
	endUnmount := trace.Span("exit/unmount")
	if err := d.bundle(c.ID).Unmount(); err != nil {
		slog.WarnContext(ctx, "unmounting rootfs", "id", c.ID, "err", err)
	}
	d.unmountVolumes(ctx, c)
	_ = runtime.RemoveState(d.stateDir(c.ID))
	endUnmount()
	endDetach := trace.Span("exit/network")
	d.net.Detach(ctx, c.ID)
	endDetach()
	stopping := t != nil && t.stopping
	c.SetExited(exit.Code, exit.ExitedAt.UTC(), exit.OOMKilled)
	// A --rm container is saved as removing right below; a daemon dying
	// in between finds its shim gone at restart and removes it then.
	if !c.HostConfig.AutoRemove {
		if err := d.containers.Save(c); err != nil {
			slog.ErrorContext(ctx, "saving container state", "id", c.ID, "err", err)
		}
	}
	if exit.OOMKilled {
		d.events.Publish(apievents.ContainerEventType, apievents.ActionOOM, c.ID, d.containerAttrs(c))
	}
	attrs := d.containerAttrs(c)
	attrs["exitCode"] = strconv.Itoa(exit.Code)
	d.events.Publish(apievents.ContainerEventType, apievents.ActionDie, c.ID, attrs)

	if c.HostConfig.AutoRemove {
		c.Unlock()
		if err := d.remove(ctx, c, true, true); err != nil {
			slog.WarnContext(ctx, "auto-removing container", "id", c.ID, "err", err)
		}
		return
	}
	restart := d.bg.Err() == nil && c.ShouldRestart(exit.Code, stopping)
	if restart {
		c.RestartCount++
		c.SetRestarting()
		_ = d.containers.Save(c)
	}
	c.Unlock()
	if restart {
		go d.restartLater(c)
	}
}

// restartLater restarts c after Docker's back-off (100 ms doubling).
func (d *Daemon) restartLater(c *container.Container) {
	c.Lock()
	delay := c.RestartDelay()
	c.Unlock()
	select {
	case <-time.After(delay):
	case <-d.bg.Done():
		return
	case <-c.Removed():
		return
	}
	c.Lock()
	defer c.Unlock()
	if c.State.Status != apicontainer.StateRestarting {
		return
	}
	if err := d.start(d.bg, c); err != nil {
		slog.Warn("restarting container", "id", c.ID, "err", err)
	}
}

// ContainerStop sends the stop signal, then SIGKILL after the timeout.
func (d *Daemon) ContainerStop(ctx context.Context, ref string, sig string, timeout *int) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	if err := d.stop(ctx, c, sig, timeout); err != nil {
		return err
	}
	return nil
}

func (d *Daemon) stop(ctx context.Context, c *container.Container, sig string, timeout *int) error {
	c.Lock()
	if c.State.Status == apicontainer.StateRestarting {
		// Cancel the pending restart.
		c.SetExited(c.State.ExitCode, time.Now().UTC(), false)
		_ = d.containers.Save(c)
		c.Unlock()
		return nil
	}
	t := d.task(c.ID)
	if !c.State.Running || t == nil {
		c.Unlock()
		return errdefs.NotModified("container already stopped")
	}
	t.stopping = true
	if sig == "" {
		sig = c.Config.StopSignal
	}
	s, err := parseSignal(sig, syscall.SIGTERM)
	if err != nil {
		c.Unlock()
		return err
	}
	wait := 10
	if c.Config.StopTimeout != nil {
		wait = *c.Config.StopTimeout
	}
	if timeout != nil {
		wait = *timeout
	}
	exited := c.Changed()
	// The init of the container's own PID namespace drops a signal it has
	// no handler for, and an execve resets the handlers: a stop signal
	// arriving while the container is still starting (before its program
	// installed its handler) is lost, and the stop would last its whole
	// timeout. It is sent again once the program handles it (watched for
	// the first seconds of the stop, the start-up window).
	var resend <-chan time.Time
	var sent procsig.Status
	pid := c.State.Pid
	if c.HostConfig.PidMode.IsPrivate() && s != syscall.SIGKILL && pid > 0 {
		if st, err := procsig.Read(pid); err == nil {
			sent = st
			tk := time.NewTicker(20 * time.Millisecond)
			defer tk.Stop()
			resend = tk.C
		}
	}
	c.Unlock()

	d.events.Publish(apievents.ContainerEventType, apievents.ActionKill, c.ID, withSignal(d.containerAttrs(c), s))
	if err := d.signal(ctx, c, t, s); err != nil {
		slog.DebugContext(ctx, "stop signal", "id", c.ID, "err", err)
	}
	notRunning := c.WaitNotRunning(exited, nil)
	stopAt := time.Now()
	var deadline <-chan time.Time
	if wait >= 0 {
		deadline = time.After(time.Duration(wait) * time.Second)
	}
	for stopped := false; !stopped; {
		select {
		case <-notRunning:
			stopped = true
		case <-resend:
			st, err := procsig.Read(pid)
			if err != nil || time.Since(stopAt) > 5*time.Second {
				resend = nil
			} else if st.Catches(s) && (!sent.Catches(s) || st.Name != sent.Name) {
				resend = nil
				_ = d.signal(ctx, c, t, s)
			}
		case <-deadline:
			d.events.Publish(apievents.ContainerEventType, apievents.ActionKill, c.ID, withSignal(d.containerAttrs(c), syscall.SIGKILL))
			_ = d.signal(ctx, c, t, syscall.SIGKILL)
			<-notRunning
			stopped = true
		}
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionStop, c.ID, d.containerAttrs(c))
	return nil
}

// ContainerKill sends a signal to the container's init.
func (d *Daemon) ContainerKill(ctx context.Context, ref string, sig string) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	s, err := parseSignal(sig, syscall.SIGKILL)
	if err != nil {
		return err
	}
	c.Lock()
	t := d.task(c.ID)
	if !c.State.Running || t == nil {
		c.Unlock()
		return errdefs.Conflict("cannot kill container: %s: container %s is not running", ref, c.ID)
	}
	if s == syscall.SIGKILL {
		t.stopping = true
	}
	exited := c.Changed()
	c.Unlock()
	if err := d.signal(ctx, c, t, s); err != nil {
		return fmt.Errorf("cannot kill container: %s: %w", ref, err)
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionKill, c.ID, withSignal(d.containerAttrs(c), s))
	if s == syscall.SIGKILL {
		// As Docker: a SIGKILL returns once the container has stopped.
		waitStopped(ctx, c, exited, killWait)
	}
	return nil
}

// ContainerRestart stops (if running) and starts the container.
func (d *Daemon) ContainerRestart(ctx context.Context, ref string, sig string, timeout *int) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	if err := d.stop(ctx, c, sig, timeout); err != nil && !errors.Is(err, errdefs.ErrNotModified) {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if c.State.Running {
		return nil
	}
	if err := d.start(ctx, c); err != nil {
		return err
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionRestart, c.ID, d.containerAttrs(c))
	return nil
}

// ContainerWait returns a channel that yields the exit status once the
// condition holds.
func (d *Daemon) ContainerWait(ctx context.Context, ref string, cond apicontainer.WaitCondition) (<-chan apicontainer.WaitResponse, error) {
	c, err := d.lookup(ref)
	if err != nil {
		return nil, err
	}
	return c.Wait(ctx, cond), nil
}

func parseSignal(s string, def syscall.Signal) (syscall.Signal, error) {
	if s == "" {
		return def, nil
	}
	sig, err := signal.ParseSignal(s)
	if err != nil {
		return 0, errdefs.InvalidParameter("%s", err.Error())
	}
	return sig, nil
}

func withSignal(attrs map[string]string, s syscall.Signal) map[string]string {
	attrs["signal"] = strconv.Itoa(int(s))
	return attrs
}
