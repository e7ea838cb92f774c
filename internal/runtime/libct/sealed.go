package libct

import (
	"os"

	"github.com/opencontainers/runc/libcontainer/exeseal"
)

// Sealed returns a sealed memfd copy of the binary at path. Shims started
// from it find /proc/self/exe already sealed, so libcontainer does not
// clone the binary again for every container start (the protection
// against CVE-2019-5736 is kept: a container can never reach a writable
// shim binary). The caller keeps the file open as long as it spawns shims.
func Sealed(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return exeseal.CloneBinary(f, st.Size(), path, os.TempDir())
}
