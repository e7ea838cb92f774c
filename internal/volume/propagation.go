package volume

import (
	apimount "github.com/moby/moby/api/types/mount"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/mount"
)

// CheckPropagation refuses a shared or slave bind of src when the mount
// holding src does not propagate, with Docker's text (a private `/`, as
// on machines where nothing made it shared).
func CheckPropagation(src string, p apimount.Propagation) error {
	switch p {
	case apimount.PropagationShared, apimount.PropagationRShared:
		info, err := mount.MountOf(src)
		if err != nil {
			return err
		}
		if !info.Shared() {
			return errdefs.InvalidParameter("path %s is mounted on %s but it is not a shared mount", src, info.Mountpoint)
		}
	case apimount.PropagationSlave, apimount.PropagationRSlave:
		info, err := mount.MountOf(src)
		if err != nil {
			return err
		}
		if !info.Shared() && !info.Slave() {
			return errdefs.InvalidParameter("path %s is mounted on %s but it is not a shared or slave mount", src, info.Mountpoint)
		}
	}
	return nil
}

// SpecOptions are the OCI mount options of a bind mount point: rbind
// (or bind), its propagation, ro (and rro: the mounts under it too).
func SpecOptions(m MountPoint) []string {
	opts := []string{"rbind"}
	if m.NonRecursive {
		opts[0] = "bind"
	}
	p := m.Propagation
	if p == "" {
		p = apimount.PropagationRPrivate
	}
	opts = append(opts, string(p))
	if !m.RW {
		opts = append(opts, "ro")
		if m.RecursiveRO {
			opts = append(opts, "rro")
		}
	}
	return opts
}

// RootPropagation is the propagation the container's root mount needs for
// its mount points to propagate as asked, as Docker sets it: rshared when
// one is shared (mounts made inside reach the host), rslave when one is a
// slave, "" (the runtime's rslave default) otherwise.
func RootPropagation(mps []MountPoint) string {
	out := ""
	for _, m := range mps {
		switch m.Propagation {
		case apimount.PropagationShared, apimount.PropagationRShared:
			return "rshared"
		case apimount.PropagationSlave, apimount.PropagationRSlave:
			out = "rslave"
		}
	}
	return out
}
