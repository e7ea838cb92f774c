package libct

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	_ "github.com/opencontainers/cgroups/devices" // device rules for the cgroup managers
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // nsexec runs before the Go runtime in `init`
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/trace"
)

// Init is libcontainer's container init (the `tug-shim init` re-exec). Call it
// first thing in main when os.Args[1] == "init"; it never returns.
func Init() {
	restoreTimerSlackAtExec() // before libcontainer clears the environment
	// The init's own spans, when the shim passed $TUG_TRACE on: the file
	// opens now, before libcontainer clears the environment, and closes at
	// the exec of the container's process (close-on-exec).
	if trace.Enabled() {
		now := time.Now()
		trace.Add("init/main", now, now)
		libcontainer.Trace = trace.Span
	}
	libcontainer.Init()
}

// CreateOpts describe a container to create.
type CreateOpts struct {
	ID     string // container ID
	Root   string // libcontainer state root (holds <ID>/state.json)
	Bundle string // directory holding config.json

	// Stdio of the container's init when it has no terminal.
	Stdin, Stdout, Stderr *os.File
	// ConsoleSocket receives the pty master when the spec asks for a terminal.
	ConsoleSocket *os.File
}

// Container is a created container whose init is a child of this process.
type Container struct {
	c        *libcontainer.Container
	proc     *libcontainer.Process // nil for a loaded container
	stateDir string                // libcontainer's: Root/ID
}

// LoadSpec reads bundle/config.json.
func LoadSpec(bundle string) (*specs.Spec, error) {
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, err
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse %s/config.json: %w", bundle, err)
	}
	return &s, nil
}

// Create creates the container (namespaces, cgroup, rootfs) and starts its
// init, which waits before executing the user's command until Exec is
// called. On error nothing is left behind. It changes the working
// directory of the process to the bundle (specconv resolves relative paths
// against it).
func Create(o CreateOpts) (_ *Container, retErr error) {
	endConfig := trace.Span("shim/libct-config")
	endLoad := trace.Span("shim/spec-load")
	spec, err := LoadSpec(o.Bundle)
	endLoad()
	if err != nil {
		return nil, err
	}
	if spec.Process == nil || len(spec.Process.Args) == 0 {
		return nil, errdefs.InvalidParameter("no command specified")
	}
	if spec.Linux != nil && spec.Linux.CgroupsPath == "" {
		spec.Linux.CgroupsPath = "/tug/" + o.ID
	}
	if err := os.Chdir(o.Bundle); err != nil {
		return nil, err
	}
	config, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName: o.ID,
		Spec:       spec,
	})
	if err != nil {
		return nil, err
	}
	endSeccomp := trace.Span("shim/seccomp-precompiled")
	usePrecompiled(o.Bundle, spec, config)
	endSeccomp()
	libcontainer.Trace, libcontainer.TraceEnv = trace.Span, trace.Env
	endNew := trace.Span("shim/libct-new")
	c, err := libcontainer.Create(o.Root, o.ID, config)
	endNew()
	endConfig()
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			_ = c.Destroy()
		}
	}()
	p, err := newProcess(spec.Process)
	if err != nil {
		return nil, err
	}
	p.Init = true
	if spec.Process.Terminal {
		p.ConsoleSocket = o.ConsoleSocket
	} else {
		p.Stdin, p.Stdout, p.Stderr = o.Stdin, o.Stdout, o.Stderr
	}
	if err := c.Start(p); err != nil {
		return nil, classify(err)
	}
	return &Container{c: c, proc: p, stateDir: filepath.Join(o.Root, o.ID)}, nil
}

// classify gives command lookup failures reported by init the error class
// Docker uses for them (exit statuses 127 and 126).
func classify(err error) error {
	msg := err.Error()
	i := strings.Index(msg, `exec: "`)
	if i < 0 {
		return err
	}
	text := msg[i:]
	switch {
	case strings.Contains(text, "executable file not found"), strings.Contains(text, "no such file or directory"):
		return errdefs.CommandNotFound("%s", text)
	case strings.Contains(text, "permission denied"), strings.Contains(text, "is a directory"):
		return errdefs.CannotInvoke("%s", text)
	}
	return err
}

var rlimits = map[string]int{
	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_DATA": unix.RLIMIT_DATA,
	"RLIMIT_STACK": unix.RLIMIT_STACK, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK,
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE, "RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
}

// newProcess converts the spec's process like runc does. Rlimits are
// lowered to the current hard limits: this process must never try to raise
// one (there is no CAP_SYS_RESOURCE).
func newProcess(p *specs.Process) (*libcontainer.Process, error) {
	lp := &libcontainer.Process{
		Args:            p.Args,
		Env:             p.Env,
		UID:             int(p.User.UID),
		GID:             int(p.User.GID),
		Cwd:             p.Cwd,
		Label:           p.SelinuxLabel,
		NoNewPrivileges: &p.NoNewPrivileges,
		AppArmorProfile: p.ApparmorProfile,
		Scheduler:       p.Scheduler,
		IOPriority:      p.IOPriority,
	}
	if p.ConsoleSize != nil {
		lp.ConsoleWidth = uint16(p.ConsoleSize.Width)
		lp.ConsoleHeight = uint16(p.ConsoleSize.Height)
	}
	if p.Capabilities != nil {
		lp.Capabilities = &configs.Capabilities{
			Bounding:    p.Capabilities.Bounding,
			Effective:   p.Capabilities.Effective,
			Inheritable: p.Capabilities.Inheritable,
			Permitted:   p.Capabilities.Permitted,
			Ambient:     p.Capabilities.Ambient,
		}
	}
	for _, g := range p.User.AdditionalGids {
		lp.AdditionalGroups = append(lp.AdditionalGroups, int(g))
	}
	for _, rl := range p.Rlimits {
		t, ok := rlimits[rl.Type]
		if !ok {
			return nil, errdefs.InvalidParameter("wrong rlimit value: %s", rl.Type)
		}
		var cur unix.Rlimit
		if err := unix.Getrlimit(t, &cur); err == nil {
			rl.Hard = min(rl.Hard, cur.Max)
			rl.Soft = min(rl.Soft, rl.Hard)
		}
		lp.Rlimits = append(lp.Rlimits, configs.Rlimit{Type: t, Hard: rl.Hard, Soft: rl.Soft})
	}
	return lp, nil
}

// Exec lets the waiting init execute the user's command.
func (c *Container) Exec() error {
	return c.c.Exec()
}

// Pid is the host pid of the container's init.
func (c *Container) Pid() int {
	pid, _ := c.proc.Pid()
	return pid
}

// Wait reaps the container's init and returns its wait status.
func (c *Container) Wait() (unix.WaitStatus, error) {
	ps, err := c.proc.Wait()
	if ps == nil {
		return 0, err
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	return unix.WaitStatus(ws), nil
}

// Signal sends sig to the container's init (through a pidfd: no pid reuse races).
func (c *Container) Signal(sig unix.Signal) error {
	return c.proc.Signal(sig)
}

// OOMFile is the file of the container's memory cgroup that counts OOM
// kills (oom_kill): memory.oom_control in cgroup v1, memory.events in v2;
// "" without a memory cgroup.
func (c *Container) OOMFile() string {
	st, err := c.c.State()
	if err != nil {
		return ""
	}
	if p, ok := st.CgroupPaths["memory"]; ok {
		return filepath.Join(p, "memory.oom_control")
	}
	if p, ok := st.CgroupPaths[""]; ok {
		return filepath.Join(p, "memory.events")
	}
	return ""
}

// Destroy kills what is left in the container's cgroup, removes the cgroup
// and libcontainer's state.
func (c *Container) Destroy() error {
	return c.c.Destroy()
}

// Load finds the container created in root by another process (the shim
// that has become its monitor), for the operations only libcontainer
// does: Run, Processes, Pause, Resume.
func Load(root, id string) (*Container, error) {
	c, err := libcontainer.Load(root, id)
	if err != nil {
		if errors.Is(err, libcontainer.ErrNotExist) {
			return nil, errdefs.Conflict("container %s is not running", id)
		}
		return nil, err
	}
	return &Container{c: c, stateDir: filepath.Join(root, id)}, nil
}

// Destroy removes a container left by a process that is gone (a crashed
// shim): its remaining processes are killed, its cgroup and state removed.
// A container that does not exist is not an error.
func Destroy(root, id string) error {
	c, err := libcontainer.Load(root, id)
	if err != nil {
		if errors.Is(err, libcontainer.ErrNotExist) {
			return os.RemoveAll(filepath.Join(root, id))
		}
		return err
	}
	if st, err := c.Status(); err == nil && st != libcontainer.Stopped {
		_ = c.Signal(unix.SIGKILL)
		for i := 0; i < 200; i++ { // the init is not our child: poll until it is gone
			if st, err := c.Status(); err != nil || st == libcontainer.Stopped {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return c.Destroy()
}

// Pause freezes every process of the container (the freezer cgroup, v1
// or v2).
func (c *Container) Pause() error {
	return c.c.Pause()
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	return c.c.Resume()
}

// ExecFifo is the fifo the created container's init waits on until it may
// execute the user's command: libcontainer's Container.Exec opens it, and
// so does the monitor, which does not link libcontainer.
func (c *Container) ExecFifo() string {
	return filepath.Join(c.stateDir, "exec.fifo")
}

// CgroupPaths are the container's cgroup directories, one per hierarchy
// (cgroup v1) or the one of the unified tree, without duplicates.
func (c *Container) CgroupPaths() []string {
	st, err := c.c.State()
	if err != nil {
		return nil
	}
	var paths []string
	for _, p := range st.CgroupPaths {
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	return paths
}

// SharesPidNS reports whether the container shares another pid namespace
// (the host's or a container's): its processes do not end with its init.
func (c *Container) SharesPidNS() bool {
	return !c.c.Config().Namespaces.IsPrivate(configs.NEWPID)
}
