package volume

import (
	"path/filepath"
	"strings"

	"github.com/tug-project/tug/internal/errdefs"
)

// Bind is a host path mounted into a container.
type Bind struct {
	Source      string // absolute host path
	Destination string // absolute path in the container
	ReadOnly    bool
	Mode        string // the mode as given ("ro", "rw,z", ...), for inspect
}

// ParseBind reads one HostConfig.Binds entry: "SRC:DST[:OPTS]" with OPTS
// a comma list of ro|rw and the SELinux/propagation flags Docker accepts
// (z, Z, private, rprivate, ...; accepted and not applied).
func ParseBind(spec string) (Bind, error) {
	parts := strings.Split(spec, ":")
	var b Bind
	switch len(parts) {
	case 2:
		b.Source, b.Destination = parts[0], parts[1]
	case 3:
		b.Source, b.Destination, b.Mode = parts[0], parts[1], parts[2]
	default:
		return Bind{}, errdefs.InvalidParameter("invalid volume specification: '%s'", spec)
	}
	if b.Source == "" || b.Destination == "" {
		return Bind{}, errdefs.InvalidParameter("invalid volume specification: '%s'", spec)
	}
	if !filepath.IsAbs(b.Source) {
		return Bind{}, errdefs.InvalidParameter("invalid volume specification: '%s': named volumes are not supported yet; use an absolute host path", spec)
	}
	if !filepath.IsAbs(b.Destination) {
		return Bind{}, errdefs.InvalidParameter("invalid volume specification: '%s': invalid mount config: the destination must be an absolute path", spec)
	}
	if filepath.Clean(b.Destination) == "/" {
		return Bind{}, errdefs.InvalidParameter("invalid volume specification: '%s': invalid mount config: destination can't be '/'", spec)
	}
	rw := 0
	for _, o := range strings.Split(b.Mode, ",") {
		switch o {
		case "":
		case "ro":
			b.ReadOnly = true
			rw++
		case "rw":
			rw++
		case "z", "Z", "private", "rprivate", "shared", "rshared", "slave", "rslave", "nocopy":
		default:
			return Bind{}, errdefs.InvalidParameter("invalid mode: %s", b.Mode)
		}
	}
	if rw > 1 {
		return Bind{}, errdefs.InvalidParameter("invalid mode: %s", b.Mode)
	}
	b.Source = filepath.Clean(b.Source)
	b.Destination = filepath.Clean(b.Destination)
	return b, nil
}

// ValidateTmpfs checks a HostConfig.Tmpfs entry.
func ValidateTmpfs(dst string) error {
	if !filepath.IsAbs(dst) || filepath.Clean(dst) == "/" {
		return errdefs.InvalidParameter("invalid tmpfs mount destination: '%s'", dst)
	}
	return nil
}
