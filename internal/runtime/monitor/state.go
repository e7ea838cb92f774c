package monitor

import (
	"encoding/json"
	"path/filepath"
	"time"

	"github.com/tug-project/tug/internal/atomicfile"
)

// What a shim keeps in its state directory.
const (
	SockName  = "shim.sock"
	PidName   = "shim.pid"
	ExitName  = "exit.json"
	LibctName = "libct" // libcontainer's state root
	LogName   = "shim.log"
)

// Exit is how a container ended.
type Exit struct {
	Code      int       `json:"code"` // exit status, or 128+signal when killed by a signal
	ExitedAt  time.Time `json:"exited_at"`
	OOMKilled bool      `json:"oom_killed"`
}

// writeExit records e in dir/exit.json atomically (temp file, rename). No
// fsync: it is read by a daemon that restarts while the machine stays up
// (the exec root is runtime state; after a reboot no container is left).
func writeExit(dir string, e Exit) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return atomicfile.Replace(filepath.Join(dir, ExitName), b, 0o644)
}
