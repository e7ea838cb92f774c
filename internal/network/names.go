package network

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
)

// DefaultExecRoot is the exec root whose daemon owns the well-known names.
const DefaultExecRoot = "/run/tug"

// KernelNames returns the nftables table and default bridge interface a
// daemon with this exec root uses: "tug" and "tug0" for the default one;
// names of its own for any other (test daemons), so that daemons running
// side by side never share rules or bridges.
func KernelNames(execRoot string) (table, bridge string) {
	root := filepath.Clean(execRoot)
	if root == DefaultExecRoot {
		return "tug", "tug0"
	}
	sum := sha256.Sum256([]byte(root))
	suffix := hex.EncodeToString(sum[:])[:6]
	return "tug-" + suffix, "tugbr" + suffix
}
