package daemon

import (
	"context"
	"io"

	apievents "github.com/moby/moby/api/types/events"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/container"
)

// ContainerExport writes the container's root filesystem as a tar stream
// (`docker export`).
func (d *Daemon) ContainerExport(ctx context.Context, ref string, out io.Writer) error {
	return d.withRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		if err := archive.Tar(ctx, out, rootfs, ".", "", d.idsOf(c.HostConfig)); err != nil {
			return err
		}
		d.events.Publish(apievents.ContainerEventType, apievents.ActionExport, c.ID, d.containerAttrs(c))
		return nil
	})
}
