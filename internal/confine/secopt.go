package confine

import (
	"fmt"
	"strconv"
	"strings"
)

// SecurityOptions are the parsed --security-opt values.
type SecurityOptions struct {
	// Seccomp is "" (the default profile), "builtin" (the same),
	// "unconfined", or a profile in JSON (the CLIs send the file's
	// content).
	Seccomp         string
	NoNewPrivileges bool
	// WritableCgroups makes /sys/fs/cgroup writable (writable-cgroups=true).
	WritableCgroups bool
}

// ParseSecurityOptions parses HostConfig.SecurityOpt with Docker's rules
// and texts. AppArmor and SELinux options are accepted only where they
// change nothing: "apparmor=unconfined" and "label=disable" (tug applies
// neither LSM); any other profile or label is refused, saying whether the
// host lacks the LSM or tug does not apply it.
func ParseSecurityOptions(opts []string, host *Host) (SecurityOptions, error) {
	var so SecurityOptions
	for _, opt := range opts {
		if opt == "no-new-privileges" {
			so.NoNewPrivileges = true
			continue
		}
		if opt == "disable" { // label=disable, short form
			continue
		}
		var k, v string
		var ok bool
		if strings.Contains(opt, "=") {
			k, v, ok = strings.Cut(opt, "=")
		} else if strings.Contains(opt, ":") {
			k, v, ok = strings.Cut(opt, ":") // the deprecated separator
		}
		if !ok {
			return so, fmt.Errorf("invalid --security-opt 1: %q", opt)
		}
		switch k {
		case "seccomp":
			so.Seccomp = v
		case "no-new-privileges":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return so, fmt.Errorf("invalid --security-opt 2: %q", opt)
			}
			so.NoNewPrivileges = b
		case "writable-cgroups":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return so, fmt.Errorf("invalid --security-opt 2: %q", opt)
			}
			so.WritableCgroups = b
		case "apparmor":
			if v == "unconfined" {
				continue
			}
			if !host.AppArmor {
				return so, fmt.Errorf("apparmor is not supported: AppArmor is not enabled on this host, cannot apply --security-opt %q", opt)
			}
			return so, fmt.Errorf("--security-opt %q: AppArmor profiles are not implemented by tug", opt)
		case "label":
			if v == "disable" {
				continue
			}
			if !host.SELinux {
				return so, fmt.Errorf("SELinux is not enabled on this host, cannot apply --security-opt %q", opt)
			}
			return so, fmt.Errorf("--security-opt %q: SELinux labels are not implemented by tug", opt)
		default:
			return so, fmt.Errorf("invalid --security-opt 2: %q", opt)
		}
	}
	return so, nil
}
