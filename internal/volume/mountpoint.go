package volume

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/tug-project/tug/internal/errdefs"
)

// MountPoint is one mount of a container, whatever asked for it. It is
// persisted with the container.
type MountPoint struct {
	Type         mount.Type // bind, volume or tmpfs
	Name         string     `json:",omitempty"` // volume: its name
	Source       string     `json:",omitempty"` // bind: the host path
	Destination  string
	RW           bool
	Mode         string            `json:",omitempty"` // -v's mode as given, for inspect
	Propagation  mount.Propagation `json:",omitempty"` // bind: rprivate unless asked
	NonRecursive bool              `json:",omitempty"` // bind: bind, not rbind
	RecursiveRO  bool              `json:",omitempty"` // bind: read-only with every mount under it (rro)

	// Volumes.
	Driver     string            `json:",omitempty"`
	CopyData   bool              `json:",omitempty"` // copy the image's content into an empty volume
	Anonymous  bool              `json:",omitempty"` // created for this container: rm -v and --rm remove it
	Subpath    string            `json:",omitempty"` // mount this directory of the volume
	DriverOpts map[string]string `json:",omitempty"` // for a volume created on first use
	Labels     map[string]string `json:",omitempty"` // for a volume created on first use

	// Binds.
	CreateSource bool `json:",omitempty"` // -v creates a missing source; --mount refuses it

	// Tmpfs: mount options ("size=..,mode=..").
	TmpfsOptions string `json:",omitempty"`
}

// API returns what inspect shows of m.
func (m MountPoint) API(volumePath string) apicontainer.MountPoint {
	out := apicontainer.MountPoint{
		Type: m.Type, Name: m.Name, Source: m.Source, Destination: m.Destination,
		Driver: m.Driver, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation,
	}
	if m.Type == mount.TypeVolume {
		out.Source = volumePath
	}
	return out
}

func configError(typ mount.Type, format string, args ...any) error {
	return errdefs.InvalidParameter("invalid mount config for type %q: %s", typ, fmt.Sprintf(format, args...))
}

// ParseSpec reads one `-v` spec (a HostConfig.Binds entry, or a
// Config.Volumes key when it has no colon): "/ctr" is an anonymous volume,
// "NAME:/ctr[:MODE]" a named volume, "/host:/ctr[:MODE]" a bind. MODE is
// a comma list of ro|rw, z|Z, nocopy (volumes) and a propagation (binds).
func ParseSpec(spec string) (MountPoint, error) {
	invalid := func() error { return errdefs.InvalidParameter("invalid volume specification: '%s'", spec) }
	parts := strings.Split(spec, ":")
	var src, dst, mode string
	switch len(parts) {
	case 1:
		dst = parts[0]
	case 2:
		src, dst = parts[0], parts[1]
	case 3:
		src, dst, mode = parts[0], parts[1], parts[2]
	default:
		return MountPoint{}, invalid()
	}
	if dst == "" || (len(parts) > 1 && src == "") {
		return MountPoint{}, invalid()
	}
	m := MountPoint{Destination: dst, RW: true, Mode: mode}
	switch {
	case src == "":
		m.Type, m.Anonymous, m.CopyData, m.Driver = mount.TypeVolume, true, true, DefaultDriver
	case path.IsAbs(src):
		m.Type, m.Source, m.CreateSource, m.Propagation = mount.TypeBind, path.Clean(src), true, mount.PropagationRPrivate
	default:
		if err := ValidateName(src); err != nil {
			return MountPoint{}, err
		}
		m.Type, m.Name, m.CopyData, m.Driver = mount.TypeVolume, src, true, DefaultDriver
		if mode == "" {
			m.Mode = "z" // what Docker shows for a named volume
		}
	}
	if !path.IsAbs(dst) {
		return MountPoint{}, errdefs.InvalidParameter("invalid volume specification: '%s': invalid mount config for type %q: invalid mount path: '%s' mount path must be absolute", spec, m.Type, dst)
	}
	if path.Clean(dst) == "/" {
		return MountPoint{}, errdefs.InvalidParameter("invalid volume specification: '%s': invalid mount config for type %q: invalid specification: destination can't be '/'", spec, m.Type)
	}
	m.Destination = path.Clean(dst)
	rw, label, prop := 0, 0, 0
	for _, o := range strings.Split(mode, ",") {
		switch o {
		case "":
		case "ro":
			m.RW = false
			rw++
		case "rw":
			rw++
		case "z", "Z":
			label++ // SELinux relabelling: no SELinux here, accepted as Docker does without it
		case "nocopy":
			if m.Type != mount.TypeVolume {
				return MountPoint{}, errdefs.InvalidParameter("invalid mode: %s", mode)
			}
			m.CopyData = false
		case "private", "rprivate", "shared", "rshared", "slave", "rslave":
			if m.Type != mount.TypeBind {
				return MountPoint{}, errdefs.InvalidParameter("invalid volume specification: '%s': invalid mount config for type %q: field BindOptions must not be specified", spec, m.Type)
			}
			m.Propagation = mount.Propagation(o)
			prop++
		default:
			return MountPoint{}, errdefs.InvalidParameter("invalid mode: %s", mode)
		}
	}
	if rw > 1 || label > 1 || prop > 1 {
		return MountPoint{}, errdefs.InvalidParameter("invalid mode: %s", mode)
	}
	return m, nil
}

// FromAPI checks one HostConfig.Mounts entry (what `--mount` sends) with
// Docker's rules and returns its mount point. A bind source must exist.
func FromAPI(am mount.Mount) (MountPoint, error) {
	typ := am.Type
	if am.Target == "" {
		return MountPoint{}, configError(typ, "field Target must not be empty")
	}
	if !path.IsAbs(am.Target) {
		return MountPoint{}, configError(typ, "invalid mount path: '%s' mount path must be absolute", am.Target)
	}
	if path.Clean(am.Target) == "/" {
		return MountPoint{}, configError(typ, "invalid specification: destination can't be '/'")
	}
	m := MountPoint{Type: typ, Destination: path.Clean(am.Target), RW: !am.ReadOnly}
	switch typ {
	case mount.TypeBind:
		if am.VolumeOptions != nil {
			return MountPoint{}, configError(typ, "field VolumeOptions must not be specified")
		}
		if am.TmpfsOptions != nil {
			return MountPoint{}, configError(typ, "field TmpfsOptions must not be specified")
		}
		if am.Source == "" {
			return MountPoint{}, configError(typ, "field Source must not be empty")
		}
		if !path.IsAbs(am.Source) {
			return MountPoint{}, configError(typ, "invalid mount path: '%s' mount path must be absolute", am.Source)
		}
		m.Source = path.Clean(am.Source)
		m.Propagation = mount.PropagationRPrivate
		if bo := am.BindOptions; bo != nil {
			if bo.Propagation != "" {
				if !validPropagation(bo.Propagation) {
					return MountPoint{}, configError(typ, "invalid propagation mode: %s", bo.Propagation)
				}
				m.Propagation = bo.Propagation
			}
			m.NonRecursive = bo.NonRecursive
			m.CreateSource = bo.CreateMountpoint
			if bo.ReadOnlyNonRecursive {
				return MountPoint{}, errdefs.InvalidParameter("invalid mount config for type %q: BindOptions.ReadOnlyNonRecursive is not supported by tug", typ)
			}
			if bo.ReadOnlyForceRecursive {
				if !am.ReadOnly {
					return MountPoint{}, configError(typ, "option 'ReadOnlyForceRecursive' requires 'ReadOnly' to be set")
				}
				if m.Propagation != mount.PropagationRPrivate {
					return MountPoint{}, configError(typ, "option 'ReadOnlyForceRecursive' requires 'BindOptions.Propagation' to be 'rprivate'")
				}
				m.RecursiveRO = true
			}
		}
		if !m.CreateSource {
			if _, err := os.Stat(m.Source); err != nil {
				return MountPoint{}, configError(typ, "bind source path does not exist: %s", m.Source)
			}
		}
	case mount.TypeVolume:
		if am.BindOptions != nil {
			return MountPoint{}, configError(typ, "field BindOptions must not be specified")
		}
		if am.TmpfsOptions != nil {
			return MountPoint{}, configError(typ, "field TmpfsOptions must not be specified")
		}
		m.Driver, m.CopyData = DefaultDriver, true
		if am.Source == "" {
			m.Anonymous = true
		} else if err := ValidateName(am.Source); err != nil {
			return MountPoint{}, err
		}
		m.Name = am.Source
		if vo := am.VolumeOptions; vo != nil {
			m.CopyData = !vo.NoCopy
			m.Labels = vo.Labels
			if vo.Subpath != "" {
				if path.IsAbs(vo.Subpath) || path.Clean(vo.Subpath) != vo.Subpath || strings.HasPrefix(vo.Subpath, "..") {
					return MountPoint{}, configError(typ, "subpath must be a relative path within the volume")
				}
				m.Subpath = vo.Subpath
			}
			if dc := vo.DriverConfig; dc != nil {
				if err := ValidateDriver(dc.Name); err != nil {
					return MountPoint{}, err
				}
				if err := ValidateOptions(dc.Options); err != nil {
					return MountPoint{}, err
				}
				m.DriverOpts = dc.Options
			}
		}
	case mount.TypeTmpfs:
		if am.Source != "" {
			return MountPoint{}, configError(typ, "field Source must not be specified")
		}
		if am.BindOptions != nil {
			return MountPoint{}, configError(typ, "field BindOptions must not be specified")
		}
		if am.VolumeOptions != nil {
			return MountPoint{}, configError(typ, "field VolumeOptions must not be specified")
		}
		if to := am.TmpfsOptions; to != nil {
			if to.SizeBytes < 0 {
				return MountPoint{}, configError(typ, "invalid tmpfs size: %d", to.SizeBytes)
			}
			var opts []string
			if to.SizeBytes > 0 {
				opts = append(opts, fmt.Sprintf("size=%d", to.SizeBytes))
			}
			if to.Mode != 0 {
				opts = append(opts, fmt.Sprintf("mode=%o", uint32(to.Mode))) // raw bits, as the CLI sends them
			}
			for _, o := range to.Options {
				if len(o) == 0 || len(o) > 2 {
					return MountPoint{}, configError(typ, "invalid tmpfs option %q", o)
				}
				switch o[0] {
				case "exec", "noexec":
					if len(o) != 1 {
						return MountPoint{}, configError(typ, "invalid tmpfs option %q", o)
					}
					opts = append(opts, o[0])
				default:
					return MountPoint{}, configError(typ, "invalid tmpfs option %q", o)
				}
			}
			m.TmpfsOptions = strings.Join(opts, ",")
		}
	case "":
		return MountPoint{}, errdefs.InvalidParameter("invalid mount config: mount type must be specified")
	default:
		return MountPoint{}, configError(typ, "mount type not supported by tug (bind, volume and tmpfs are)")
	}
	if am.ReadOnly && typ == mount.TypeTmpfs {
		m.TmpfsOptions = strings.Trim(m.TmpfsOptions+",ro", ",")
	}
	return m, nil
}

func validPropagation(p mount.Propagation) bool {
	for _, q := range mount.Propagations {
		if p == q {
			return true
		}
	}
	return false
}

// ParseVolumesFrom reads one --volumes-from entry: "CTR[:ro|rw]".
func ParseVolumesFrom(spec string) (ref, mode string, err error) {
	ref, mode, _ = strings.Cut(spec, ":")
	switch {
	case ref == "":
		return "", "", errdefs.InvalidParameter("malformed volumes-from specification: %s", spec)
	case mode == "", mode == "ro", mode == "rw", mode == "z", mode == "Z":
		return ref, mode, nil
	default:
		return "", "", errdefs.InvalidParameter("invalid mode: %s", mode)
	}
}

// ValidateTmpfs checks a HostConfig.Tmpfs entry.
func ValidateTmpfs(dst string) error {
	if !path.IsAbs(dst) || path.Clean(dst) == "/" {
		return errdefs.InvalidParameter("invalid tmpfs mount destination: '%s'", dst)
	}
	return nil
}

// Request is what a create request says about mounts.
type Request struct {
	HostConfig *apicontainer.HostConfig
	Volumes    map[string]struct{} // Config.Volumes: the image's and the request's
	// From returns the mount points of a --volumes-from container.
	From func(ref string) ([]MountPoint, error)
}

// Validate checks the request's own mount fields (not the image's
// volumes nor --volumes-from containers) before anything is created.
func Validate(hc *apicontainer.HostConfig) error {
	if err := ValidateDriver(hc.VolumeDriver); err != nil {
		return err
	}
	_, err := Plan(Request{HostConfig: hc, From: func(string) ([]MountPoint, error) { return nil, nil }})
	return err
}

// Plan returns the container's mount points in Docker's order of
// precedence: --volumes-from, then -v binds and volumes, then --mount
// (a destination given twice is an error), then the VOLUMEs not already
// covered by one of those or by a --tmpfs. Anonymous volumes have no name
// yet: the store names them.
func Plan(r Request) ([]MountPoint, error) {
	hc := r.HostConfig
	byDst := map[string]MountPoint{}
	explicit := map[string]bool{}
	add := func(m MountPoint) error {
		if explicit[m.Destination] {
			return errdefs.InvalidParameter("Duplicate mount point: %s", m.Destination)
		}
		explicit[m.Destination] = true
		byDst[m.Destination] = m
		return nil
	}
	for _, spec := range hc.VolumesFrom {
		ref, mode, err := ParseVolumesFrom(spec)
		if err != nil {
			return nil, err
		}
		from, err := r.From(ref)
		if err != nil {
			return nil, err
		}
		for _, m := range from {
			m.Anonymous = false // it belongs to the other container
			m.DriverOpts, m.Labels = nil, nil
			switch mode {
			case "ro":
				m.RW = false
			case "rw":
				m.RW = true
			}
			byDst[m.Destination] = m
		}
	}
	for _, spec := range hc.Binds {
		m, err := ParseSpec(spec)
		if err != nil {
			return nil, err
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for _, am := range hc.Mounts {
		m, err := FromAPI(am)
		if err != nil {
			return nil, err
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for dst := range hc.Tmpfs {
		if err := ValidateTmpfs(dst); err != nil {
			return nil, err
		}
		if _, ok := byDst[path.Clean(dst)]; ok {
			return nil, errdefs.InvalidParameter("Duplicate mount point: %s", path.Clean(dst))
		}
	}
	for v := range r.Volumes {
		m, err := ParseSpec(v)
		if err != nil {
			return nil, err
		}
		if m.Type == mount.TypeBind {
			return nil, errdefs.InvalidParameter("invalid volume specification: '%s': a bind in Config.Volumes; use HostConfig.Binds", v)
		}
		if _, ok := byDst[m.Destination]; ok {
			continue
		}
		if _, ok := hc.Tmpfs[m.Destination]; ok {
			continue
		}
		byDst[m.Destination] = m
	}
	out := make([]MountPoint, 0, len(byDst))
	for _, m := range byDst {
		out = append(out, m)
	}
	SortByDepth(out)
	return out, nil
}

// SortByDepth orders mount points so a parent is mounted before what is
// mounted below it.
func SortByDepth(mps []MountPoint) {
	sort.Slice(mps, func(i, j int) bool {
		di, dj := strings.Count(mps[i].Destination, "/"), strings.Count(mps[j].Destination, "/")
		if di != dj {
			return di < dj
		}
		return mps[i].Destination < mps[j].Destination
	})
}

// Subpath resolves a --mount volume-subpath sub inside the volume at
// volPath ("" is the volume itself); it must exist and stay inside the
// volume, as in Docker.
func Subpath(volPath, sub string) (string, error) {
	if sub == "" {
		return volPath, nil
	}
	p := filepath.Join(volPath, sub)
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", errdefs.InvalidParameter("cannot access path %s: %v", p, err)
	}
	if rel, err := filepath.Rel(volPath, real); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", errdefs.InvalidParameter("subpath %s leaves the volume", sub)
	}
	return real, nil
}

// WritableAt reports whether the archive API may write at the container
// path p of a container with mount points mps: the innermost mount over
// p decides, else whether the rootfs is read-only.
func WritableAt(mps []MountPoint, p string, readonlyRootfs bool) error {
	p = filepath.Clean("/" + p)
	var best *MountPoint
	for i, m := range mps {
		if p == m.Destination || strings.HasPrefix(p, m.Destination+"/") {
			if best == nil || len(m.Destination) > len(best.Destination) {
				best = &mps[i]
			}
		}
	}
	switch {
	case best != nil && !best.RW:
		return errdefs.InvalidParameter("mounted volume is marked read-only")
	case best == nil && readonlyRootfs:
		return errdefs.InvalidParameter("container rootfs is marked read-only")
	}
	return nil
}
