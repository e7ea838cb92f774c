package confine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tug-project/tug/internal/errdefs"
)

// AllCapabilities lists the capabilities by number (CAP_CHOWN is 0).
var AllCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// DefaultCapabilities is Docker's default capability set.
var DefaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

func capsFromMask(mask uint64) []string {
	var out []string
	for i, c := range AllCapabilities {
		if mask&(1<<uint(i)) != 0 {
			out = append(out, c)
		}
	}
	return out
}

// NormalizeCapabilities upper-cases names and adds the CAP_ prefix; "ALL"
// stays. A name tug does not know, or one outside the bounding set, is an
// error with Docker's text.
func NormalizeCapabilities(caps, bounding []string) ([]string, error) {
	var out []string
	for _, c := range caps {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "ALL" {
			out = append(out, c)
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if !slices.Contains(AllCapabilities, c) {
			return nil, fmt.Errorf("unknown capability: %q", c)
		}
		if !slices.Contains(bounding, c) {
			return nil, fmt.Errorf("capability not supported by your kernel or not available in the current environment: %q", c)
		}
		out = append(out, c)
	}
	return out, nil
}

// Capabilities is the capability set of a container: Docker's
// TweakCapabilities over the default set, within the bounding set.
// Privileged containers get the whole bounding set.
func Capabilities(add, drop []string, privileged bool, bounding []string) ([]string, error) {
	if privileged {
		return slices.Clone(bounding), nil
	}
	capDrop, err := NormalizeCapabilities(drop, bounding)
	if err != nil {
		return nil, errdefs.InvalidParameter("invalid CapDrop: %s", err)
	}
	capAdd, err := NormalizeCapabilities(add, bounding)
	if err != nil {
		return nil, errdefs.InvalidParameter("invalid CapAdd: %s", err)
	}
	var caps []string
	switch {
	case slices.Contains(capAdd, "ALL"):
		for _, c := range bounding {
			if !slices.Contains(capDrop, c) {
				caps = append(caps, c)
			}
		}
	case slices.Contains(capDrop, "ALL"):
		caps = capAdd
	default:
		for _, c := range DefaultCapabilities {
			if !slices.Contains(capDrop, c) && slices.Contains(bounding, c) {
				caps = append(caps, c)
			}
		}
		caps = append(caps, capAdd...)
	}
	// Without duplicates, in kernel order.
	var out []string
	for _, c := range AllCapabilities {
		if slices.Contains(caps, c) {
			out = append(out, c)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}
