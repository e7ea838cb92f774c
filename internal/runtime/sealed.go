package runtime

import (
	"log/slog"
	"os"
	"strconv"
	"sync"

	"github.com/tug-project/tug/internal/runtime/libct"
)

var (
	sealOnce   sync.Once
	sealedFile *os.File // kept open (and referenced) for the life of the process
	sealedSelf string
)

// shimPath returns the binary to execute for a shim: when it is the running
// executable, a sealed memfd copy of it made once, so that libcontainer in
// each shim skips cloning the binary for every container (it checks
// whether /proc/self/exe is already a sealed copy).
func shimPath(binary string) string {
	self, err := os.Executable()
	if err != nil || !sameFile(self, binary) {
		return binary
	}
	sealOnce.Do(func() {
		f, err := libct.SealedSelf()
		if err != nil {
			slog.Warn("no sealed copy of the shim binary; libcontainer will clone it per container", "err", err)
			return
		}
		sealedFile = f
		sealedSelf = "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	})
	if sealedSelf == "" {
		return binary
	}
	return sealedSelf
}

func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}
