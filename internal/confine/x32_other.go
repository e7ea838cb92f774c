//go:build !amd64

package confine

// probeX32: the x32 ABI exists on amd64 only.
func probeX32() bool { return false }
