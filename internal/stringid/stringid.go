// Package stringid makes the random 64-hex-digit IDs of containers, exec
// instances, networks, endpoints and build steps (moby's pkg/stringid).
package stringid

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns a random ID: 32 bytes from crypto/rand in hex. (Go's
// crypto/rand.Read never fails.)
func New() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
