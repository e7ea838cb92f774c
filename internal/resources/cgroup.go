package resources

import (
	"fmt"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/manager"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// CgroupResources converts spec resources to the cgroup library's, as
// runc's specconv does for the fields tug sets. Device rules are left
// alone (SkipDevices): an update must not touch them.
func CgroupResources(r *specs.LinuxResources) *cgroups.Resources {
	return cgroupResources(r, cgroups.IsCgroup2UnifiedMode())
}

func cgroupResources(r *specs.LinuxResources, v2 bool) *cgroups.Resources {
	out := &cgroups.Resources{SkipDevices: true, SkipFreezeOnSet: true}
	if m := r.Memory; m != nil {
		if m.Limit != nil {
			out.Memory = *m.Limit
		}
		if m.Reservation != nil {
			out.MemoryReservation = *m.Reservation
		}
		if m.Swap != nil {
			out.MemorySwap = *m.Swap
		}
		out.MemorySwappiness = m.Swappiness
		if m.DisableOOMKiller != nil {
			out.OomKillDisable = *m.DisableOOMKiller
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil {
			out.CpuShares = *c.Shares
			// cgroup v2 has cpu.weight; the library converts shares on Set
			// only through specconv, so do it here.
			if v2 {
				out.CpuWeight = cgroups.ConvertCPUSharesToCgroupV2Value(*c.Shares)
			}
		}
		if c.Quota != nil {
			out.CpuQuota = *c.Quota
		}
		if c.Period != nil {
			out.CpuPeriod = *c.Period
		}
		out.CpusetCpus, out.CpusetMems = c.Cpus, c.Mems
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		out.PidsLimit = p.Limit
	} else {
		unlimited := int64(-1)
		out.PidsLimit = &unlimited
	}
	if b := r.BlockIO; b != nil {
		if b.Weight != nil {
			out.BlkioWeight = *b.Weight
		}
		for _, d := range b.WeightDevice {
			var w uint16
			if d.Weight != nil {
				w = *d.Weight
			}
			out.BlkioWeightDevice = append(out.BlkioWeightDevice, cgroups.NewWeightDevice(d.Major, d.Minor, w, 0))
		}
		for _, t := range []struct {
			in  []specs.LinuxThrottleDevice
			out *[]*cgroups.ThrottleDevice
		}{
			{b.ThrottleReadBpsDevice, &out.BlkioThrottleReadBpsDevice},
			{b.ThrottleWriteBpsDevice, &out.BlkioThrottleWriteBpsDevice},
			{b.ThrottleReadIOPSDevice, &out.BlkioThrottleReadIOPSDevice},
			{b.ThrottleWriteIOPSDevice, &out.BlkioThrottleWriteIOPSDevice},
		} {
			for _, d := range t.in {
				*t.out = append(*t.out, cgroups.NewThrottleDevice(d.Major, d.Minor, d.Rate))
			}
		}
	}
	return out
}

// Cgroup is a container's cgroup, opened by its path (CgroupPath).
type Cgroup struct {
	m cgroups.Manager
}

// Open opens the cgroup at path ("/tug/<id>") on this host's hierarchy,
// v1 or v2. It creates nothing.
func Open(path string) (*Cgroup, error) {
	m, err := manager.New(&cgroups.Cgroup{Path: path, Resources: &cgroups.Resources{SkipDevices: true}})
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", path, err)
	}
	return &Cgroup{m: m}, nil
}

// Set writes r to the cgroup.
func (c *Cgroup) Set(r *specs.LinuxResources) error {
	return c.m.Set(CgroupResources(r))
}

// Stats reads the cgroup's statistics.
func (c *Cgroup) Stats() (*cgroups.Stats, error) {
	return c.m.GetStats()
}
