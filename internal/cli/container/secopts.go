package container

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"

	"github.com/tug-project/tug/internal/cli/opts"
)

// securityOptions are the confinement flags of run and create (Docker's).
type securityOptions struct {
	capAdd      []string
	capDrop     []string
	devices     []string
	deviceRules []string
	groupAdd    []string
	securityOpt []string
	sysctls     []string
	ipc         string
	pid         string
	uts         string
	cgroupns    string
	userns      string
}

func addSecurityFlags(flags *pflag.FlagSet, o *securityOptions) {
	flags.Var(opts.NewList(&o.capAdd, "list"), "cap-add", "Add Linux capabilities")
	flags.Var(opts.NewList(&o.capDrop, "list"), "cap-drop", "Drop Linux capabilities")
	flags.Var(opts.NewList(&o.devices, "list"), "device", "Add a host device to the container")
	flags.Var(opts.NewList(&o.deviceRules, "list"), "device-cgroup-rule", "Add a rule to the cgroup allowed devices list")
	flags.Var(opts.NewList(&o.groupAdd, "list"), "group-add", "Add additional groups to join")
	flags.Var(opts.NewList(&o.securityOpt, "list"), "security-opt", "Security Options")
	flags.Var(opts.NewList(&o.sysctls, "map"), "sysctl", "Sysctl options")
	flags.StringVar(&o.ipc, "ipc", "", "IPC mode to use")
	flags.StringVar(&o.pid, "pid", "", "PID namespace to use")
	flags.StringVar(&o.uts, "uts", "", "UTS namespace to use")
	flags.StringVar(&o.cgroupns, "cgroupns", "", `Cgroup namespace to use (host|private)`)
	flags.StringVar(&o.userns, "userns", "", "User namespace to use")
}

// applySecurityOptions fills the HostConfig from the confinement flags;
// the daemon validates names, modes and sysctls.
func applySecurityOptions(o *securityOptions, hc *container.HostConfig) error {
	hc.CapAdd = o.capAdd
	hc.CapDrop = o.capDrop
	hc.GroupAdd = o.groupAdd
	hc.DeviceCgroupRules = o.deviceRules
	hc.IpcMode = container.IpcMode(o.ipc)
	hc.PidMode = container.PidMode(o.pid)
	hc.UTSMode = container.UTSMode(o.uts)
	hc.CgroupnsMode = container.CgroupnsMode(o.cgroupns)
	hc.UsernsMode = container.UsernsMode(o.userns)
	for _, d := range o.devices {
		m, err := parseDevice(d)
		if err != nil {
			return err
		}
		hc.Devices = append(hc.Devices, m)
	}
	for _, kv := range o.sysctls {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("invalid argument %q for \"--sysctl\" flag: sysctl must be KEY=VALUE", kv)
		}
		if hc.Sysctls == nil {
			hc.Sysctls = map[string]string{}
		}
		hc.Sysctls[k] = v
	}
	secOpts, err := parseSecurityOpts(o.securityOpt)
	if err != nil {
		return err
	}
	// systempaths=unconfined is the CLI's: no masked or read-only paths.
	for _, opt := range secOpts {
		if opt == "systempaths=unconfined" {
			hc.MaskedPaths, hc.ReadonlyPaths = []string{}, []string{}
			continue
		}
		hc.SecurityOpt = append(hc.SecurityOpt, opt)
	}
	return nil
}

// parseSecurityOpts checks each --security-opt and replaces
// seccomp=FILE by the profile itself, as docker/cli does.
func parseSecurityOpts(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, opt := range in {
		k, v, ok := strings.Cut(opt, "=")
		if !ok && k != "no-new-privileges" {
			k, v, ok = strings.Cut(opt, ":")
		}
		if (!ok || v == "") && k != "no-new-privileges" {
			return nil, fmt.Errorf("Invalid --security-opt: %q", opt)
		}
		if k == "systempaths" && v != "unconfined" {
			return nil, fmt.Errorf("Invalid --security-opt: %q", opt)
		}
		if k == "seccomp" && v != "builtin" && v != "unconfined" {
			f, err := os.ReadFile(v)
			if err != nil {
				return nil, fmt.Errorf("opening seccomp profile (%s) failed: %v", v, err)
			}
			var b bytes.Buffer
			if err := json.Compact(&b, f); err != nil {
				return nil, fmt.Errorf("compacting json for seccomp profile (%s) failed: %v", v, err)
			}
			opt = "seccomp=" + b.String()
		}
		out = append(out, opt)
	}
	return out, nil
}

// parseDevice parses --device HOST[:CONTAINER][:PERMISSIONS].
func parseDevice(spec string) (container.DeviceMapping, error) {
	var src, dst string
	perms := "rwm"
	arr := strings.SplitN(spec, ":", 4)
	switch len(arr) {
	case 3:
		perms = arr[2]
		fallthrough
	case 2:
		if validDeviceMode(arr[1]) {
			perms = arr[1]
		} else {
			dst = arr[1]
		}
		fallthrough
	case 1:
		src = arr[0]
	default:
		return container.DeviceMapping{}, fmt.Errorf("invalid device specification: %s", spec)
	}
	if dst == "" {
		dst = src
	}
	return container.DeviceMapping{PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms}, nil
}

// validDeviceMode reports whether mode is a combination of r, w and m.
func validDeviceMode(mode string) bool {
	if mode == "" || len(mode) > 3 {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range mode {
		if !strings.ContainsRune("rwm", c) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}
