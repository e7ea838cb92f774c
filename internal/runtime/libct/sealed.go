package libct

import (
	"os"

	"github.com/opencontainers/runc/libcontainer/exeseal"
)

// SealedSelf returns a sealed memfd copy of the running binary. Shims
// started from it find /proc/self/exe already sealed, so libcontainer does
// not clone the binary again for every container start (the protection
// against CVE-2019-5736 is kept: a container can never reach a writable
// tugd binary). The caller keeps the file open as long as it spawns shims.
func SealedSelf() (*os.File, error) {
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return exeseal.CloneBinary(f, st.Size(), "/proc/self/exe", os.TempDir())
}
