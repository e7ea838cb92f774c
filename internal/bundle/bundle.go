package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/atomicfile"
	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/oci"
)

// The files of a bundle directory besides the rootfs mount point.
const (
	ConfigFile = "config.json"
	hostname   = "hostname"
	hosts      = "hosts"
	resolvConf = "resolv.conf"
)

// Bundle is a bundle directory: config.json, the /etc files and rootfs/.
type Bundle struct {
	Dir string
}

// Rootfs is where the root filesystem is mounted.
func (b Bundle) Rootfs() string { return filepath.Join(b.Dir, "rootfs") }

// Mount mounts the snapshot mounts at the bundle's rootfs.
func (b Bundle) Mount(mounts []mount.Mount) error {
	if err := os.MkdirAll(b.Rootfs(), 0o755); err != nil {
		return err
	}
	if err := mount.All(mounts, b.Rootfs()); err != nil {
		return fmt.Errorf("mounting rootfs: %w", err)
	}
	return nil
}

// Sysfs is where a container in a user namespace gets its /sys from
// (see mount.SysfsInNetNS).
func (b Bundle) Sysfs() string { return filepath.Join(b.Dir, "sys") }

// Unmount unmounts the rootfs and everything below it, and the sysfs of
// a container in a user namespace; an unmounted rootfs is not an error.
func (b Bundle) Unmount() error {
	if err := mount.UnmountAll(b.Rootfs()); err != nil {
		return err
	}
	if _, err := os.Stat(b.Sysfs()); err == nil {
		if err := mount.UnmountAll(b.Sysfs()); err != nil {
			return err
		}
		return os.Remove(b.Sysfs())
	}
	return nil
}

// Etc holds the contents of the files bind-mounted at /etc/hostname,
// /etc/hosts and /etc/resolv.conf; a nil field keeps the file there is.
type Etc struct {
	Hostname, Hosts, ResolvConf []byte
}

// WriteEtc writes the non-nil files of e, in place: a running container
// has them bind-mounted, and a rename would not reach it. A file that
// already holds its content is left alone: a start rewrites the files the
// create wrote, mostly unchanged, and ext4 starts the writeback of a
// truncated and rewritten file when it is closed (auto_da_alloc).
func (b Bundle) WriteEtc(e Etc) error {
	for _, f := range []struct {
		name string
		body []byte
	}{{hostname, e.Hostname}, {hosts, e.Hosts}, {resolvConf, e.ResolvConf}} {
		if f.body == nil {
			continue
		}
		path := filepath.Join(b.Dir, f.name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, f.body) {
			continue
		}
		if err := os.WriteFile(path, f.body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ChownEtc gives the /etc files to uid:gid: under userns-remap the
// container's root owns them, as in Docker, and can edit them.
func (b Bundle) ChownEtc(uid, gid int) error {
	for _, name := range []string{hostname, hosts, resolvConf} {
		if err := os.Lchown(filepath.Join(b.Dir, name), uid, gid); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// Process is what every container process's spec is made of.
type Process struct {
	ID       string // names its cgroup
	Args     []string
	Env      []string
	Cwd      string // "" is /
	User     string // "", uid[:gid] or name[:group], resolved in the rootfs
	Hostname string
	Terminal bool
	// EtcDir holds the hostname, hosts and resolv.conf files bound at
	// /etc: "" is the bundle's own directory; a container sharing another
	// one's network (--network container:X) gets X's, as in Docker.
	EtcDir string
}

// Spec returns the spec of p in the bundle (whose rootfs must be mounted,
// to resolve p.User): Docker's defaults, p, the /etc files, then opts.
func (b Bundle) Spec(p Process, opts ...oci.SpecOpt) (*specs.Spec, error) {
	cwd := p.Cwd
	if cwd == "" {
		cwd = "/"
	}
	etc := p.EtcDir
	if etc == "" {
		etc = b.Dir
	}
	base := []oci.SpecOpt{
		oci.WithRootfs(b.Rootfs()),
		oci.WithArgs(p.Args),
		oci.WithEnv(p.Env),
		oci.WithCwd(cwd),
		oci.WithTerminal(p.Terminal),
		oci.WithHostname(p.Hostname),
		oci.WithUser(b.Rootfs(), p.User),
		oci.WithCgroupsPath("/tug/" + p.ID),
		oci.WithBindMount(filepath.Join(etc, hostname), "/etc/hostname", false),
		oci.WithBindMount(filepath.Join(etc, hosts), "/etc/hosts", false),
		oci.WithBindMount(filepath.Join(etc, resolvConf), "/etc/resolv.conf", false),
	}
	return oci.New(append(base, opts...)...)
}

// Config is a bundle to create.
type Config struct {
	Dir     string        // the bundle directory
	Rootfs  []mount.Mount // the snapshot's mounts
	Etc     Etc           // written before the spec is built
	Process Process
	Opts    []oci.SpecOpt // network, mounts, console size, ... applied last
}

// Create makes the bundle of cfg: it mounts the rootfs, writes the /etc
// files and config.json. On error nothing stays mounted.
func Create(cfg Config) (_ Bundle, retErr error) {
	b := Bundle{Dir: cfg.Dir}
	if err := b.Mount(cfg.Rootfs); err != nil {
		return Bundle{}, err
	}
	defer func() {
		if retErr != nil {
			_ = b.Unmount()
		}
	}()
	if err := b.WriteEtc(cfg.Etc); err != nil {
		return Bundle{}, err
	}
	spec, err := b.Spec(cfg.Process, cfg.Opts...)
	if err != nil {
		return Bundle{}, err
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return Bundle{}, err
	}
	// Written before every start and read only while the process runs: a
	// crash before the start completes leaves nothing that needs it, so
	// no fsync.
	if err := atomicfile.Replace(filepath.Join(b.Dir, ConfigFile), data, 0o600); err != nil {
		return Bundle{}, err
	}
	return b, nil
}

// Bind is a host path to bind over the rootfs at Destination.
type Bind struct {
	Source      string
	Destination string // a container path
	RW          bool
}

// MountBinds binds each of binds over the mounted rootfs (in this mount
// namespace), creating the mount point in the rootfs where it is missing
// (a directory, or an empty file for a file), as Docker does to read and
// write a stopped container's volumes through the archive API. A bind
// whose source does not exist is skipped. The returned release unmounts
// them all, innermost first; on error nothing stays mounted.
func (b Bundle) MountBinds(binds []Bind) (release func(), err error) {
	var targets []string
	release = func() {
		for i := len(targets) - 1; i >= 0; i-- {
			_ = mount.UnmountAll(targets[i])
		}
	}
	for _, bd := range binds {
		fi, err := os.Stat(bd.Source)
		if err != nil {
			continue // a -v source not made yet: nothing to show
		}
		target, err := securejoin.SecureJoin(b.Rootfs(), bd.Destination)
		if err != nil {
			release()
			return nil, err
		}
		if fi.IsDir() {
			err = os.MkdirAll(target, 0o755)
		} else if _, serr := os.Lstat(target); os.IsNotExist(serr) {
			if err = os.MkdirAll(filepath.Dir(target), 0o755); err == nil {
				err = os.WriteFile(target, nil, 0o644)
			}
		}
		if err != nil {
			release()
			return nil, err
		}
		opts := []string{"rbind"}
		if !bd.RW {
			opts = append(opts, "ro")
		}
		if err := mount.All([]mount.Mount{{Type: "bind", Source: bd.Source, Options: opts}}, target); err != nil {
			release()
			return nil, err
		}
		targets = append(targets, target)
	}
	return release, nil
}
