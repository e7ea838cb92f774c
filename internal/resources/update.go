package resources

import (
	"github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/errdefs"
)

// Update merges the changes of POST /containers/{id}/update into hc after
// checking them like Docker does: a zero field is "unchanged", a
// PidsLimit of 0 or less removes the limit. Fields that cannot change on
// a created container are refused, not ignored. hc is changed only when
// the whole update is valid.
func Update(hc *container.HostConfig, upd container.UpdateConfig, h Host) ([]string, error) {
	r := upd.Resources
	switch {
	case r.CgroupParent != "":
		return nil, notUpdatable("CgroupParent", "--cgroup-parent")
	case len(r.Ulimits) > 0:
		return nil, notUpdatable("Ulimits", "--ulimit")
	case len(r.Devices) > 0 || len(r.DeviceCgroupRules) > 0 || len(r.DeviceRequests) > 0:
		return nil, notUpdatable("Devices", "--device")
	case len(r.BlkioWeightDevice) > 0:
		return nil, notUpdatable("BlkioWeightDevice", "--blkio-weight-device")
	case len(r.BlkioDeviceReadBps) > 0 || len(r.BlkioDeviceWriteBps) > 0 || len(r.BlkioDeviceReadIOps) > 0 || len(r.BlkioDeviceWriteIOps) > 0:
		return nil, notUpdatable("BlkioDevice*", "--device-read-bps, --device-write-bps, --device-read-iops, --device-write-iops")
	case r.MemorySwappiness != nil && *r.MemorySwappiness != -1:
		return nil, notUpdatable("MemorySwappiness", "--memory-swappiness")
	case r.OomKillDisable != nil && *r.OomKillDisable != derefBool(hc.OomKillDisable):
		return nil, notUpdatable("OomKillDisable", "--oom-kill-disable")
	}
	cur := hc.Resources
	switch {
	case r.NanoCPUs > 0 && cur.CPUPeriod > 0:
		return nil, errdefs.Conflict("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set")
	case r.NanoCPUs > 0 && cur.CPUQuota > 0:
		return nil, errdefs.Conflict("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set")
	case r.CPUPeriod > 0 && cur.NanoCPUs > 0:
		return nil, errdefs.Conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set")
	case r.CPUQuota > 0 && cur.NanoCPUs > 0:
		return nil, errdefs.Conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set")
	}
	// Check the changes alone first (ranges, host support), then the
	// merged whole (memory against swap, reservation against limit).
	if _, err := validateResources(&r, h, true); err != nil {
		return nil, err
	}
	m := cur
	if r.BlkioWeight != 0 {
		m.BlkioWeight = r.BlkioWeight
	}
	if r.CPUShares != 0 {
		m.CPUShares = r.CPUShares
	}
	if r.NanoCPUs != 0 {
		m.NanoCPUs = r.NanoCPUs
	}
	if r.CPUPeriod != 0 {
		m.CPUPeriod = r.CPUPeriod
	}
	if r.CPUQuota != 0 {
		m.CPUQuota = r.CPUQuota
	}
	if r.CpusetCpus != "" {
		m.CpusetCpus = r.CpusetCpus
	}
	if r.CpusetMems != "" {
		m.CpusetMems = r.CpusetMems
	}
	if r.Memory != 0 {
		if cur.MemorySwap > 0 && r.Memory > cur.MemorySwap && r.MemorySwap == 0 {
			return nil, errdefs.Conflict("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
		}
		m.Memory = r.Memory
	}
	if r.MemorySwap != 0 {
		m.MemorySwap = r.MemorySwap
	}
	if r.MemoryReservation != 0 {
		m.MemoryReservation = r.MemoryReservation
	}
	if r.PidsLimit != nil {
		m.PidsLimit = r.PidsLimit
		if *r.PidsLimit <= 0 {
			m.PidsLimit = nil
		}
	}
	warnings, err := validateResources(&m, h, true)
	if err != nil {
		return nil, err
	}
	rp := upd.RestartPolicy
	if rp.Name != "" {
		switch rp.Name {
		case container.RestartPolicyDisabled, container.RestartPolicyAlways, container.RestartPolicyUnlessStopped, container.RestartPolicyOnFailure:
		default:
			return nil, errdefs.InvalidParameter("invalid restart policy: unknown policy '%s'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'", rp.Name)
		}
		if rp.Name != container.RestartPolicyOnFailure && rp.MaximumRetryCount != 0 {
			return nil, errdefs.InvalidParameter("invalid restart policy: maximum retry count can only be used with 'on-failure'")
		}
		if hc.AutoRemove && rp.Name != container.RestartPolicyDisabled {
			return nil, errdefs.Conflict("Restart policy cannot be updated because AutoRemove is enabled for the container")
		}
		hc.RestartPolicy = rp
	}
	hc.Resources = m
	return warnings, nil
}

func notUpdatable(field, flag string) error {
	return errdefs.InvalidParameter("%s (%s) cannot be updated: it is set when the container is created", field, flag)
}

func derefBool(b *bool) bool { return b != nil && *b }
