package runtime

import (
	"log/slog"
	"os"
	"strconv"
	"sync"

	"github.com/tug-project/tug/internal/runtime/libct"
)

var (
	sealMu  sync.Mutex
	sealed  = map[string]string{} // shim binary -> /proc/<pid>/fd/N of its sealed copy
	sealFds []*os.File            // kept open (and referenced) for the life of the process
)

// shimPath returns the binary to execute for a shim: a sealed memfd copy
// of binary made once per process, so that libcontainer in each shim skips
// cloning the binary for every container (it checks whether /proc/self/exe
// is already a sealed copy). When sealing fails, binary itself.
func shimPath(binary string) string {
	sealMu.Lock()
	defer sealMu.Unlock()
	if p, ok := sealed[binary]; ok {
		return p
	}
	f, err := libct.Sealed(binary)
	if err != nil {
		slog.Warn("no sealed copy of the shim binary; libcontainer will clone it per container", "binary", binary, "err", err)
		sealed[binary] = binary
		return binary
	}
	sealFds = append(sealFds, f)
	// Named through this process's fd table: a child resolves the path
	// after it has put its own files on its first fds.
	sealed[binary] = "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/" + strconv.Itoa(int(f.Fd()))
	return sealed[binary]
}
