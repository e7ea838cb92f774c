package container

import (
	"sync"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/atomicfile"
	"github.com/tug-project/tug/internal/volume"
)

// Container is one container: its configuration and its state. The
// exported fields are persisted; the lock and the change notifier are not.
type Container struct {
	ID           string
	Name         string // without the leading "/"
	Created      time.Time
	Path         string
	Args         []string
	Config       *apicontainer.Config
	HostConfig   *apicontainer.HostConfig
	ImageID      digest.Digest
	State        State
	RestartCount int
	LogPath      string
	Driver       string
	// MountPoints are the container's binds, volumes and tmpfs mounts
	// (from -v, --mount, --volumes-from and VOLUMEs), fixed at create.
	MountPoints []volume.MountPoint `json:",omitempty"`

	mu      sync.Mutex
	changed chan struct{}      // closed and replaced on every state change
	removed chan struct{}      // closed when the container is removed
	exit    exitRecord         // the last exit or failed start, for waiters (wait.go)
	cfgFile *atomicfile.Linked // its config file, once saved unsynced (store.go)
}

// State is the run state of a container.
type State struct {
	Status     apicontainer.ContainerState
	Running    bool
	Paused     bool
	Restarting bool
	OOMKilled  bool
	Dead       bool
	Pid        int
	ExitCode   int
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
	// ShimStarted is set while a shim owns the container (from start until
	// the exit has been handled), so a restarted daemon knows to reconnect.
	ShimStarted bool
	// Health is the health check's state when the container has one.
	Health *apicontainer.Health `json:",omitempty"`
}

// New returns a container in the created state.
func New(id, name string, created time.Time) *Container {
	c := &Container{ID: id, Name: name, Created: created}
	c.State.Status = apicontainer.StateCreated
	c.init()
	return c
}

func (c *Container) init() {
	c.changed = make(chan struct{})
	c.removed = make(chan struct{})
}

// Lock serialises state changes of one container.
func (c *Container) Lock() { c.mu.Lock() }

// Unlock releases Lock.
func (c *Container) Unlock() { c.mu.Unlock() }

// Changed returns a channel closed at the next state change. Call with the
// lock held to avoid missing a change.
func (c *Container) Changed() <-chan struct{} { return c.changed }

// Removed returns a channel closed when the container is removed.
func (c *Container) Removed() <-chan struct{} { return c.removed }

// notify wakes everyone waiting on Changed. Call with the lock held.
func (c *Container) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// MarkRemoved wakes everyone waiting on Removed.
func (c *Container) MarkRemoved() {
	select {
	case <-c.removed:
	default:
		close(c.removed)
	}
}

// SetRunning records a start. Call with the lock held.
func (c *Container) SetRunning(pid int, at time.Time) {
	c.State.Status = apicontainer.StateRunning
	c.State.Running = true
	c.State.Restarting = false
	c.State.Pid = pid
	c.State.ExitCode = 0
	c.State.Error = ""
	c.State.StartedAt = at
	c.State.ShimStarted = true
	c.notify()
}

// SetExited records an exit. Call with the lock held.
func (c *Container) SetExited(code int, at time.Time, oomKilled bool) {
	c.State.Status = apicontainer.StateExited
	c.State.Running = false
	c.State.Paused = false
	c.State.Restarting = false
	c.State.Pid = 0
	c.State.ExitCode = code
	c.State.OOMKilled = oomKilled
	c.State.FinishedAt = at
	c.State.ShimStarted = false
	c.recordExit(code, "")
	c.notify()
}

// SetStartFailed records a start that failed before the process ran.
// Docker leaves such a container in "created" with the error and exit code
// recorded. Call with the lock held.
func (c *Container) SetStartFailed(code int, err error) {
	c.State.Running = false
	c.State.Pid = 0
	c.State.ExitCode = code
	c.State.Error = err.Error()
	c.State.ShimStarted = false
	if c.State.Status != apicontainer.StateExited {
		c.State.Status = apicontainer.StateCreated
	}
	c.recordExit(code, err.Error())
	c.notify()
}

// SetRemoving marks the container as being removed. Call with the lock held.
func (c *Container) SetRemoving() {
	c.State.Status = apicontainer.StateRemoving
	c.notify()
}

// SetDead marks a container whose removal failed. Call with the lock held.
func (c *Container) SetDead() {
	c.State.Status = apicontainer.StateDead
	c.State.Dead = true
	c.notify()
}

// SetRestarting marks a container waiting for its restart policy.
func (c *Container) SetRestarting() {
	c.State.Status = apicontainer.StateRestarting
	c.State.Restarting = true
	c.notify()
}

// ShortID is the 12-character form of the ID.
func (c *Container) ShortID() string { return c.ID[:12] }
