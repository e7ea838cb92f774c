package daemon

import (
	"os"
	"sort"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/volume"
)

// mountOpts turns a container's binds and tmpfs mounts into spec options.
// A missing bind source is created as a directory, as Docker does for -v.
func mountOpts(c *container.Container) ([]oci.SpecOpt, error) {
	var opts []oci.SpecOpt
	for _, spec := range c.HostConfig.Binds {
		b, err := volume.ParseBind(spec)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(b.Source); os.IsNotExist(err) {
			if err := os.MkdirAll(b.Source, 0o755); err != nil {
				return nil, err
			}
		}
		opts = append(opts, oci.WithBindMount(b.Source, b.Destination, b.ReadOnly))
	}
	dsts := make([]string, 0, len(c.HostConfig.Tmpfs))
	for dst := range c.HostConfig.Tmpfs {
		dsts = append(dsts, dst)
	}
	sort.Strings(dsts)
	for _, dst := range dsts {
		opts = append(opts, oci.WithTmpfs(dst, c.HostConfig.Tmpfs[dst]))
	}
	return opts, nil
}

// mountPoints is what inspect and ps show of a container's binds.
func mountPoints(c *container.Container) []apicontainer.MountPoint {
	out := []apicontainer.MountPoint{}
	for _, spec := range c.HostConfig.Binds {
		b, err := volume.ParseBind(spec)
		if err != nil {
			continue
		}
		out = append(out, apicontainer.MountPoint{
			Type: mount.TypeBind, Source: b.Source, Destination: b.Destination,
			Mode: b.Mode, RW: !b.ReadOnly, Propagation: mount.PropagationRPrivate,
		})
	}
	return out
}
