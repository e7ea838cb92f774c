package opts

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/mount"
)

// ParseMount reads one --mount value, docker/cli's CSV syntax:
// type=bind|volume|tmpfs (default volume), source|src, target|destination|dst,
// readonly|ro[=BOOL], bind-propagation, bind-recursive, bind-nonrecursive,
// volume-nocopy, volume-label, volume-driver, volume-opt, volume-subpath,
// tmpfs-size, tmpfs-mode, consistency. The daemon checks the rest.
func ParseMount(value string) (mount.Mount, error) {
	r := csv.NewReader(strings.NewReader(value))
	fields, err := r.Read()
	if err != nil {
		return mount.Mount{}, err
	}
	m := mount.Mount{Type: mount.TypeVolume}
	var bindOpts *mount.BindOptions
	var volOpts *mount.VolumeOptions
	var tmpfsOpts *mount.TmpfsOptions
	bind := func() *mount.BindOptions {
		if bindOpts == nil {
			bindOpts = &mount.BindOptions{}
		}
		return bindOpts
	}
	vol := func() *mount.VolumeOptions {
		if volOpts == nil {
			volOpts = &mount.VolumeOptions{}
		}
		return volOpts
	}
	tmpfs := func() *mount.TmpfsOptions {
		if tmpfsOpts == nil {
			tmpfsOpts = &mount.TmpfsOptions{}
		}
		return tmpfsOpts
	}
	for _, field := range fields {
		key, val, hasValue := strings.Cut(field, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !hasValue {
			switch key {
			case "readonly", "ro", "volume-nocopy", "bind-nonrecursive":
				val = "true"
			default:
				return mount.Mount{}, fmt.Errorf("invalid field '%s' must be a key=value pair", field)
			}
		}
		boolVal := func() (bool, error) {
			b, err := strconv.ParseBool(val)
			if err != nil {
				return false, fmt.Errorf("invalid value for %s: %s", key, val)
			}
			return b, nil
		}
		switch key {
		case "type":
			m.Type = mount.Type(strings.ToLower(val))
		case "source", "src":
			m.Source = val
		case "target", "dst", "destination":
			m.Target = val
		case "readonly", "ro":
			if m.ReadOnly, err = boolVal(); err != nil {
				return mount.Mount{}, err
			}
		case "consistency":
			m.Consistency = mount.Consistency(strings.ToLower(val))
		case "bind-propagation":
			bind().Propagation = mount.Propagation(strings.ToLower(val))
		case "bind-nonrecursive":
			if bind().NonRecursive, err = boolVal(); err != nil {
				return mount.Mount{}, err
			}
		case "bind-recursive":
			switch val {
			case "enabled":
			case "disabled":
				bind().NonRecursive = true
			case "writable":
				bind().ReadOnlyNonRecursive = true
			case "readonly":
				bind().ReadOnlyForceRecursive = true
			default:
				return mount.Mount{}, fmt.Errorf(`invalid value for %s: %s (must be "enabled", "disabled", "writable", or "readonly")`, key, val)
			}
		case "volume-nocopy":
			if vol().NoCopy, err = boolVal(); err != nil {
				return mount.Mount{}, err
			}
		case "volume-label":
			k, v, _ := strings.Cut(val, "=")
			if vol().Labels == nil {
				volOpts.Labels = map[string]string{}
			}
			volOpts.Labels[k] = v
		case "volume-driver":
			if vol().DriverConfig == nil {
				volOpts.DriverConfig = &mount.Driver{}
			}
			volOpts.DriverConfig.Name = val
		case "volume-opt":
			k, v, ok := strings.Cut(val, "=")
			if !ok {
				return mount.Mount{}, fmt.Errorf("invalid value for %s: %s", key, val)
			}
			if vol().DriverConfig == nil {
				volOpts.DriverConfig = &mount.Driver{}
			}
			if volOpts.DriverConfig.Options == nil {
				volOpts.DriverConfig.Options = map[string]string{}
			}
			volOpts.DriverConfig.Options[k] = v
		case "volume-subpath":
			vol().Subpath = val
		case "tmpfs-size":
			n, err := units.RAMInBytes(val)
			if err != nil {
				return mount.Mount{}, fmt.Errorf("invalid value for %s: %s", key, val)
			}
			tmpfs().SizeBytes = n
		case "tmpfs-mode":
			n, err := strconv.ParseUint(val, 8, 32)
			if err != nil {
				return mount.Mount{}, fmt.Errorf("invalid value for %s: %s", key, val)
			}
			tmpfs().Mode = os.FileMode(n)
		default:
			return mount.Mount{}, fmt.Errorf("unexpected key '%s' in '%s'", key, field)
		}
	}
	if m.Target == "" {
		return mount.Mount{}, fmt.Errorf("target is required")
	}
	if bindOpts != nil && m.Type != mount.TypeBind {
		return mount.Mount{}, fmt.Errorf("cannot mix 'bind-*' options with mount type '%s'", m.Type)
	}
	if volOpts != nil && m.Type != mount.TypeVolume {
		return mount.Mount{}, fmt.Errorf("cannot mix 'volume-*' options with mount type '%s'", m.Type)
	}
	if tmpfsOpts != nil && m.Type != mount.TypeTmpfs {
		return mount.Mount{}, fmt.Errorf("cannot mix 'tmpfs-*' options with mount type '%s'", m.Type)
	}
	m.BindOptions, m.VolumeOptions, m.TmpfsOptions = bindOpts, volOpts, tmpfsOpts
	return m, nil
}
