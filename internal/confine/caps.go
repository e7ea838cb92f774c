package confine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/oci"
)

// DefaultCapabilities is Docker's default capability set.
var DefaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

func capsFromMask(mask uint64) []string {
	var out []string
	for i, c := range oci.AllCapabilities {
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
		if !slices.Contains(oci.AllCapabilities, c) {
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
	for _, c := range oci.AllCapabilities {
		if slices.Contains(caps, c) {
			out = append(out, c)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}
