package daemon

import (
	"context"

	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/resources"
	"github.com/tug-project/tug/internal/sysinfo"
)

// ContainerUpdate changes the resource limits and restart policy of a
// container: written to its cgroup at once when it runs, kept for its
// next start either way. Nothing changes when any part is refused.
func (d *Daemon) ContainerUpdate(ctx context.Context, ref string, upd *apicontainer.UpdateConfig) (apicontainer.UpdateResponse, error) {
	if upd == nil {
		upd = &apicontainer.UpdateConfig{}
	}
	c, err := d.lookup(ref)
	if err != nil {
		return apicontainer.UpdateResponse{}, err
	}
	c.Lock()
	defer c.Unlock()
	if c.State.Status == apicontainer.StateRemoving || c.State.Dead {
		return apicontainer.UpdateResponse{}, errdefs.Conflict("Cannot update container %s: container is marked for removal and cannot be \"update\"", c.ID)
	}
	hc := *c.HostConfig
	warnings, err := resources.Update(&hc, *upd, resources.ThisHost())
	if err != nil {
		return apicontainer.UpdateResponse{}, err
	}
	if c.State.Running {
		lr, err := resources.Linux(hc.Resources, nil)
		if err != nil {
			return apicontainer.UpdateResponse{}, err
		}
		if upd.MemorySwap == -1 && lr.Memory != nil && lr.Memory.Limit != nil && sysinfo.Get().SwapLimit {
			unlimited := int64(-1) // back to unlimited swap: the one case a -1 must be written
			lr.Memory.Swap = &unlimited
		}
		cg, err := resources.Open(resources.CgroupPath(hc.CgroupParent, c.ID))
		if err == nil {
			err = cg.Set(lr)
		}
		if err != nil {
			// Whatever the kernel took of it stays; the record keeps the old
			// values, as Docker does when runc update fails.
			return apicontainer.UpdateResponse{}, errdefs.InvalidParameter("Cannot update container %s: %v", c.ID, err)
		}
	}
	*c.HostConfig = hc
	if err := d.containers.Save(c); err != nil {
		return apicontainer.UpdateResponse{}, err
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionUpdate, c.ID, d.containerAttrs(c))
	if warnings == nil {
		warnings = []string{}
	}
	return apicontainer.UpdateResponse{Warnings: warnings}, nil
}
