package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/logger"
	"github.com/tug-project/tug/internal/runtime/monitor"
)

// Config describes the container a shim runs.
type Config struct {
	ID        string          // container ID (64 hex)
	Bundle    string          // dir holding config.json; spec.Root.Path is an absolute path to a mounted rootfs
	StateDir  string          // per-container dir under the exec root: shim.sock, shim.pid, exit.json, libcontainer state
	LogPath   string          // json-file log the shim appends to; "" for none (log driver "none")
	LogRotate logger.Rotation // max-size/max-file of the log; zero: no rotation
	LogFormat logger.Format   // json-file (the zero value) or the CRI's
	Terminal  bool            // allocate a pty (must match the spec's process.terminal)
	OpenStdin bool            // keep the container's stdin open for attachers
	StdinOnce bool            // close the container's stdin when the first attached client's stdin ends

	// IdleExit is how long a shim whose container has exited stays around
	// with no client connected before it cleans up (cgroup, libcontainer
	// state) and exits, leaving only exit.json. 0 means the default of 5
	// minutes; < 0 means never.
	IdleExit time.Duration
	// MonitorGrace is how long the shim waits after the start for the
	// container to end before it executes the monitor (0: monitorGrace).
	MonitorGrace time.Duration
}

// Exit is how a container ended.
type Exit = monitor.Exit

// AttachStreams are a client's end of an attach.
type AttachStreams struct {
	Stdin          io.Reader // nil: do not send stdin
	Stdout, Stderr io.Writer // nil: discard
	// DetachKeys end the attach with ErrDetached when typed on Stdin;
	// nil means ctrl-p,ctrl-q, empty means none.
	DetachKeys []byte
	// Attached, if set, is called once the shim has registered the
	// attacher: output written by the container from then on reaches it.
	// Callers that must see all output from the first byte wait for it
	// before calling Start (Start also waits for Attach calls already
	// running on the same Client).
	Attached func()
}

// ErrDetached is returned by Attach when the detach keys were typed.
var ErrDetached = errors.New("detached from container")

// DefaultDetachKeys are ctrl-p,ctrl-q.
var DefaultDetachKeys = []byte{16, 17}

const defaultIdleExit = 5 * time.Minute

// ReadExit reads the exit status a shim recorded in stateDir. It returns an
// error of class errdefs.ErrNotFound when there is none.
func ReadExit(stateDir string) (Exit, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, monitor.ExitName))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Exit{}, errdefs.NotFound("no exit status in %s", stateDir)
		}
		return Exit{}, err
	}
	var e Exit
	if err := json.Unmarshal(b, &e); err != nil {
		return Exit{}, fmt.Errorf("%s: %w", filepath.Join(stateDir, monitor.ExitName), err)
	}
	return e, nil
}
