package daemon

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/compat"
	"github.com/tug-project/tug/internal/confine"
	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/runtime"
	"github.com/tug-project/tug/internal/stringid"
)

// execRecord is an exec instance: created by POST /containers/{id}/exec,
// run once by POST /exec/{id}/start. Records live in memory (like
// Docker's); ended ones are pruned after execRetention.
type execRecord struct {
	id          string
	containerID string
	cfg         apicontainer.ExecCreateRequest
	created     time.Time

	// Under Daemon.mu:
	started  bool
	running  bool
	pid      int
	exitCode *int
	ended    time.Time
	done     chan struct{} // closed once exitCode is set
}

// execRetention is how long an ended exec can still be inspected.
const execRetention = 10 * time.Minute

func (d *Daemon) execByID(id string) (*execRecord, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.execs[id]; ok {
		return e, nil
	}
	return nil, errdefs.NotFound("No such exec instance: %s", id)
}

// execIDs lists the execs of a container that have not ended (inspect's ExecIDs).
func (d *Daemon) execIDs(containerID string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for _, e := range d.execs {
		if e.containerID == containerID && e.exitCode == nil {
			ids = append(ids, e.id)
		}
	}
	return ids
}

// pruneExecs forgets ended execs past their retention and those of
// containers that are gone. Call with d.mu held.
func (d *Daemon) pruneExecs(now time.Time) {
	for id, e := range d.execs {
		gone := false
		if _, err := d.containers.Get(e.containerID); err != nil {
			gone = true
		}
		if gone || (e.exitCode != nil && now.Sub(e.ended) > execRetention) ||
			(!e.started && now.Sub(e.created) > execRetention) {
			delete(d.execs, id)
		}
	}
}

// runningTask returns the task of a running container, or Docker's
// conflict error when it is not running.
func (d *Daemon) runningTask(c *container.Container) (*task, error) {
	c.Lock()
	defer c.Unlock()
	switch {
	case c.State.Paused:
		return nil, errdefs.Conflict("Container %s is paused, unpause the container before exec", c.ID)
	case c.State.Restarting:
		return nil, errdefs.Conflict("container %s is restarting, wait until the container is running", c.ID)
	}
	t := d.task(c.ID)
	if !c.State.Running || t == nil {
		return nil, errdefs.Conflict("container %s is not running", c.ID)
	}
	return t, nil
}

// ContainerExecCreate registers an exec in a running container.
func (d *Daemon) ContainerExecCreate(ctx context.Context, ref string, req *apicontainer.ExecCreateRequest) (string, error) {
	c, err := d.lookup(ref)
	if err != nil {
		return "", err
	}
	if len(req.Cmd) == 0 {
		return "", errdefs.InvalidParameter("No exec command specified")
	}
	if err := compat.ExecCreate(req); err != nil { // fields tug does not implement
		return "", err
	}
	if req.DetachKeys != "" {
		if _, err := parseDetachKeys(req.DetachKeys); err != nil {
			return "", errdefs.InvalidParameter("%s", err.Error())
		}
	}
	if _, err := d.runningTask(c); err != nil {
		return "", err
	}
	e := &execRecord{id: stringid.New(), containerID: c.ID, cfg: *req, created: time.Now(), done: make(chan struct{})}
	d.mu.Lock()
	if d.execs == nil {
		d.execs = map[string]*execRecord{}
	}
	d.pruneExecs(e.created)
	d.execs[e.id] = e
	d.mu.Unlock()
	d.publishExec(c, apievents.ActionExecCreate, e.id, req.Cmd, nil)
	return e.id, nil
}

// ContainerExecStart runs an exec through the container's shim and, unless
// detached, streams its stdio until its output ends; it returns once the
// exit code is recorded (or the client detached).
func (d *Daemon) ContainerExecStart(ctx context.Context, id string, opts backend.ExecStartOptions) error {
	e, err := d.execByID(id)
	if err != nil {
		return err
	}
	if err := compat.ExecStart(apicontainer.ExecStartRequest{Detach: opts.Detach, Tty: opts.Tty, ConsoleSize: opts.ConsoleSize}); err != nil {
		return err
	}
	c, err := d.lookup(e.containerID)
	if err != nil {
		return err
	}
	t, err := d.runningTask(c)
	if err != nil {
		return err
	}
	d.mu.Lock()
	switch {
	case e.exitCode != nil:
		d.mu.Unlock()
		return errdefs.Conflict("Error: Exec command %s has already run", id)
	case e.started:
		d.mu.Unlock()
		return errdefs.Conflict("Error: Exec command %s is already running", id)
	}
	e.started = true
	d.mu.Unlock()
	cfg := e.cfg

	var streams *runtime.AttachStreams
	var stdout io.Writer
	if !opts.Detach && opts.GetStreams != nil {
		// The start request's Tty decides the framing, not the exec's
		// config, as in Docker.
		stdin, out, errw, err := opts.GetStreams(!opts.Tty)
		if err != nil {
			d.endExec(c, e, 126)
			return err
		}
		stdout = out
		streams = &runtime.AttachStreams{DetachKeys: runtime.DefaultDetachKeys}
		if cfg.AttachStdin && stdin != nil {
			streams.Stdin = stdin
		}
		if cfg.AttachStdout {
			streams.Stdout = out
		}
		if cfg.AttachStderr {
			switch {
			case cfg.Tty:
				streams.Stderr = out // a terminal has one output stream
			case !opts.Tty:
				streams.Stderr = errw
			}
			// A raw (Tty) start of an exec without a terminal has no
			// stream for stderr: Docker drops it.
		}
		switch {
		case !cfg.Tty:
			// As Docker: the detach keys apply only with a TTY.
			streams.DetachKeys = []byte{}
		case cfg.DetachKeys != "":
			streams.DetachKeys, _ = parseDetachKeys(cfg.DetachKeys)
		}
	}
	fail := func(err error) error {
		code := errdefs.ExitStatus(err, 126)
		if opts.StartFailureIs126 {
			code = 126
		}
		d.endExec(c, e, code)
		if stdout != nil {
			_, _ = fmt.Fprintf(stdout, "%v\r\n", err)
		}
		return err
	}

	size := cfg.ConsoleSize
	if opts.ConsoleSize != nil {
		size = opts.ConsoleSize
	}
	proc, err := d.execProcess(c, &cfg, size)
	if err != nil {
		return fail(err)
	}
	startedC := make(chan struct{})
	rc := runtime.ExecConfig{
		ID:        e.id,
		Process:   proc,
		OpenStdin: cfg.AttachStdin && streams != nil,
		Started: func(pid int) {
			d.mu.Lock()
			e.running, e.pid = true, pid
			d.mu.Unlock()
			close(startedC)
			if opts.Started != nil {
				opts.Started()
			}
			d.publishExec(c, apievents.ActionExecStart, e.id, cfg.Cmd, nil)
			go d.waitExec(c, t, e)
		},
	}
	err = t.client.Exec(ctx, rc, streams)
	select {
	case <-startedC:
	default:
		if !errors.Is(err, errdefs.ErrConflict) {
			err = fmt.Errorf("OCI runtime exec failed: exec failed: unable to start container process: %w", err)
		}
		return fail(err)
	}
	switch {
	case errors.Is(err, runtime.ErrDetached):
		attrs := d.containerAttrs(c)
		attrs["execID"] = e.id
		d.events.Publish(apievents.ContainerEventType, apievents.ActionExecDetach, c.ID, attrs)
		return nil
	case streams == nil:
		return nil
	case ctx.Err() != nil:
		// The client went away: the process goes too, as with Docker.
		_ = t.client.ExecKill(context.WithoutCancel(ctx), e.id, syscall.SIGKILL)
		return nil
	}
	// The output ended: the exit code follows at once (the shim ends the
	// stream after the process exited). The client inspects it next.
	select {
	case <-e.done:
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		slog.WarnContext(ctx, "exec output ended but no exit status", "exec", e.id)
	}
	return err
}

// waitExec records the exit of a started exec.
func (d *Daemon) waitExec(c *container.Container, t *task, e *execRecord) {
	exit, err := t.client.ExecWait(d.bg, e.id)
	if err != nil {
		if d.bg.Err() != nil {
			return
		}
		slog.Warn("waiting for exec", "exec", e.id, "err", err)
		exit = runtime.Exit{Code: 126}
	}
	d.endExec(c, e, exit.Code)
}

func (d *Daemon) endExec(c *container.Container, e *execRecord, code int) {
	d.mu.Lock()
	if e.exitCode != nil {
		d.mu.Unlock()
		return
	}
	e.exitCode = &code
	e.running = false
	e.ended = time.Now()
	close(e.done)
	d.mu.Unlock()
	if e.pid == 0 {
		return // never started: no die event
	}
	d.publishExec(c, apievents.ActionExecDie, e.id, nil, &code)
}

// publishExec announces the create, start (each with its command, as
// "exec_create: CMD") or die (with its exit code) of exec execID in c,
// health probes' included, as Docker does.
func (d *Daemon) publishExec(c *container.Container, action apievents.Action, execID string, cmd []string, exitCode *int) {
	attrs := d.containerAttrs(c)
	attrs["execID"] = execID
	if cmd != nil {
		action = apievents.Action(string(action) + ": " + strings.Join(cmd, " "))
	}
	if exitCode != nil {
		attrs["exitCode"] = fmt.Sprint(*exitCode)
	}
	d.events.Publish(apievents.ContainerEventType, action, c.ID, attrs)
}

// execProcess builds the process of an exec from the container's own
// (capabilities, rlimits, no-new-privileges): Docker's environment
// (PATH, HOSTNAME, TERM with a TTY, then the container's, then the
// exec's), the exec's or the container's working dir and user (names
// resolved from the container's /etc/passwd and /etc/group) with the
// container's --group-add groups.
func (d *Daemon) execProcess(c *container.Container, cfg *apicontainer.ExecCreateRequest, size *[2]uint) (*specs.Process, error) {
	b, err := os.ReadFile(filepath.Join(d.containers.Dir(c.ID), "config.json"))
	if err != nil {
		return nil, err
	}
	var base specs.Spec
	if err := json.Unmarshal(b, &base); err != nil {
		return nil, fmt.Errorf("spec of %s: %w", c.ID, err)
	}
	if base.Process == nil || base.Root == nil {
		return nil, fmt.Errorf("spec of %s has no process", c.ID)
	}
	c.Lock()
	ccfg := *c.Config
	var groupAdd, lks []string
	if c.HostConfig != nil {
		groupAdd = slices.Clone(c.HostConfig.GroupAdd)
		lks = slices.Clone(c.HostConfig.Links)
	}
	c.Unlock()

	proc := *base.Process
	proc.Env = nil
	proc.ConsoleSize = nil
	proc.User = specs.User{}
	s := &specs.Spec{Root: base.Root, Process: &proc}

	env := []string{oci.DefaultPath, "HOSTNAME=" + ccfg.Hostname}
	if cfg.Tty {
		env = append(env, "TERM=xterm")
	}
	// A bare "KEY" in the container's or the exec's environment unsets KEY.
	env = append(env, linkEnv(lks, base.Process.Env)...)
	env = oci.WithoutUnset(oci.MergeEnv(oci.WithoutUnset(oci.MergeEnv(env, ccfg.Env)), cfg.Env))
	user := cfg.User
	if user == "" {
		user = ccfg.User
	}
	dir := cmp.Or(cfg.WorkingDir, ccfg.WorkingDir, "/")
	opts := []oci.SpecOpt{
		oci.WithArgs(cfg.Cmd),
		oci.WithEnv(env),
		oci.WithCwd(dir),
		oci.WithTerminal(cfg.Tty),
		oci.WithUser(base.Root.Path, user),
		// The user is resolved afresh, so --group-add is applied again
		// (Docker's getUser does the same for an exec).
		oci.WithAdditionalGroups(base.Root.Path, groupAdd),
	}
	if cfg.Tty && size != nil {
		opts = append(opts, oci.WithConsoleSize(size[0], size[1]))
	}
	if cfg.Privileged {
		if proc.Capabilities == nil {
			proc.Capabilities = &specs.LinuxCapabilities{}
		}
		// Every capability of the bounding set (asking for more fails).
		caps := confine.Probe().Bounding
		opts = append(opts, oci.WithCapabilities(caps, []string{"ALL"}))
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return &proc, nil
}

// ContainerExecResize sets the size of an exec's TTY.
func (d *Daemon) ContainerExecResize(ctx context.Context, id string, height, width uint) error {
	e, err := d.execByID(id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	running := e.running
	d.mu.Unlock()
	if !running {
		return errdefs.Conflict("exec %s is not running", id)
	}
	t := d.task(e.containerID)
	if t == nil {
		return errdefs.Conflict("container %s is not running", e.containerID)
	}
	return t.client.ExecResize(ctx, id, height, width)
}

// ContainerExecInspect returns Docker's inspect document of an exec.
func (d *Daemon) ContainerExecInspect(ctx context.Context, id string) (*apicontainer.ExecInspectResponse, error) {
	e, err := d.execByID(id)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	priv := e.cfg.Privileged
	pc := &apicontainer.ExecProcessConfig{
		Tty:        e.cfg.Tty,
		Entrypoint: e.cfg.Cmd[0],
		Arguments:  append([]string{}, e.cfg.Cmd[1:]...),
		Privileged: &priv,
		User:       e.cfg.User,
	}
	var keys []byte
	if e.cfg.DetachKeys != "" {
		keys, _ = parseDetachKeys(e.cfg.DetachKeys)
	}
	return &apicontainer.ExecInspectResponse{
		ID:            e.id,
		Running:       e.running,
		ExitCode:      e.exitCode,
		ProcessConfig: pc,
		OpenStdin:     e.cfg.AttachStdin,
		OpenStdout:    e.cfg.AttachStdout,
		OpenStderr:    e.cfg.AttachStderr,
		ContainerID:   e.containerID,
		DetachKeys:    keys,
		Pid:           e.pid,
	}, nil
}
