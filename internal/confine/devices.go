package confine

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Device is a device node to create in the container and the cgroup rule
// that lets the container use it.
type Device struct {
	Node specs.LinuxDevice
	Rule specs.LinuxDeviceCgroup
}

func i64(v int64) *int64 { return &v }

// deviceFromPath reads the device node at host path p.
func deviceFromPath(p, ctrPath, perms string) (Device, error) {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return Device{}, err
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		typ = "c"
	case unix.S_IFBLK:
		typ = "b"
	case unix.S_IFIFO:
		typ = "p"
	default:
		return Device{}, fmt.Errorf("not a device node")
	}
	major, minor := int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	mode := fs.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	d := Device{Node: specs.LinuxDevice{Path: ctrPath, Type: typ, Major: major, Minor: minor, FileMode: &mode, UID: &uid, GID: &gid}}
	if typ != "p" {
		d.Rule = specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: i64(major), Minor: i64(minor), Access: perms}
	}
	return d, nil
}

// validPerms reports whether perms is a non-empty combination of r, w, m.
func validPerms(perms string) bool {
	if perms == "" {
		return false
	}
	for _, c := range perms {
		if !strings.ContainsRune("rwm", c) {
			return false
		}
	}
	return true
}

// Devices resolves --device mappings against the host: a device node, or
// a directory whose device nodes are all mapped below the container path
// (as Docker does). Errors use Docker's text.
func Devices(maps []apicontainer.DeviceMapping) ([]Device, error) {
	var out []Device
	for _, m := range maps {
		perms := m.CgroupPermissions
		if perms == "" {
			perms = "rwm"
		}
		if !validPerms(perms) {
			return nil, fmt.Errorf("invalid device mode: %s", perms)
		}
		ctr := m.PathInContainer
		if ctr == "" {
			ctr = m.PathOnHost
		}
		if !filepath.IsAbs(ctr) {
			return nil, fmt.Errorf("%s is not an absolute path", ctr)
		}
		fi, err := os.Stat(m.PathOnHost)
		if err == nil && fi.IsDir() {
			err = filepath.WalkDir(m.PathOnHost, func(p string, de fs.DirEntry, err error) error {
				if err != nil || de.IsDir() {
					return nil
				}
				d, derr := deviceFromPath(p, filepath.Join(ctr, strings.TrimPrefix(p, m.PathOnHost)), perms)
				if derr == nil {
					out = append(out, d)
				}
				return nil
			})
		} else if err == nil {
			var d Device
			if d, err = deviceFromPath(m.PathOnHost, ctr, perms); err == nil {
				out = append(out, d)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("error gathering device information while adding custom device %q: %s", m.PathOnHost, errText(err))
		}
	}
	return out, nil
}

func errText(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// skipHostDev are the /dev entries a privileged container does not get
// (runc's HostDevices skips them too: they are mounted or per-container).
var skipHostDev = map[string]bool{"pts": true, "shm": true, "fd": true, "mqueue": true, ".lxc": true, ".lxd-mounts": true, ".udev": true, "console": true}

// HostDevices lists the device nodes under /dev, for --privileged.
func HostDevices() []Device {
	var out []Device
	_ = filepath.WalkDir("/dev", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p != "/dev" && skipHostDev[strings.TrimPrefix(p, "/dev/")] {
			if de.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if de.IsDir() || de.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if de.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
			return nil
		}
		if d, err := deviceFromPath(p, p, "rwm"); err == nil {
			out = append(out, d)
		}
		return nil
	})
	return out
}

var cgroupRuleRE = regexp.MustCompile(`^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$`)

// DeviceCgroupRule parses a --device-cgroup-rule ("c 1:3 rwm", "a *:* r").
func DeviceCgroupRule(rule string) (specs.LinuxDeviceCgroup, error) {
	m := cgroupRuleRE.FindStringSubmatch(rule)
	if m == nil {
		return specs.LinuxDeviceCgroup{}, fmt.Errorf("invalid device cgroup rule format: '%s'", rule)
	}
	r := specs.LinuxDeviceCgroup{Allow: true, Type: m[1], Access: m[4]}
	num := func(s string) (*int64, error) {
		if s == "*" {
			return nil, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid device cgroup rule format: '%s'", rule)
		}
		return &n, nil
	}
	var err error
	if r.Major, err = num(m[2]); err != nil {
		return r, err
	}
	if r.Minor, err = num(m[3]); err != nil {
		return r, err
	}
	return r, nil
}
