package resources

import (
	"path"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/oci"
)

// DefaultParent is the cgroup every container's cgroup is made in unless
// it has --cgroup-parent.
const DefaultParent = "/tug"

// CgroupPath is the cgroup of container id: <parent>/<id>, cgroupfs style.
func CgroupPath(parent, id string) string {
	if parent == "" {
		parent = DefaultParent
	}
	return path.Join("/", parent, id)
}

// DevNum returns the major and minor number of a device node.
type DevNum func(path string) (major, minor int64, err error)

func statDevNum(p string) (int64, int64, error) {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return 0, 0, errdefs.InvalidParameter("stat %s: %v", p, err)
	}
	return int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev))), nil
}

// Linux converts validated Docker resources to the spec's, the way
// Docker's daemon does (getMemoryResources, getCPUResources, ...).
func Linux(r container.Resources, dev DevNum) (*specs.LinuxResources, error) {
	if dev == nil {
		dev = statDevNum
	}
	out := &specs.LinuxResources{}
	mem := specs.LinuxMemory{}
	if r.Memory > 0 {
		mem.Limit = ptr(r.Memory)
	}
	if r.MemoryReservation > 0 {
		mem.Reservation = ptr(r.MemoryReservation)
	}
	if r.MemorySwap > 0 { // -1 (unlimited) is the kernel's default: nothing to write, as in Docker
		mem.Swap = ptr(r.MemorySwap)
	}
	if r.MemorySwappiness != nil && *r.MemorySwappiness >= 0 {
		mem.Swappiness = ptr(uint64(*r.MemorySwappiness))
	}
	if r.OomKillDisable != nil && *r.OomKillDisable {
		mem.DisableOOMKiller = ptr(true)
	}
	if mem != (specs.LinuxMemory{}) {
		out.Memory = &mem
	}

	cpu := specs.LinuxCPU{}
	if r.CPUShares > 0 {
		cpu.Shares = ptr(uint64(r.CPUShares))
	}
	cpu.Cpus, cpu.Mems = r.CpusetCpus, r.CpusetMems
	if r.NanoCPUs > 0 {
		const period = 100000 // µs, the kernel's default CFS period
		cpu.Period = ptr(uint64(period))
		cpu.Quota = ptr(r.NanoCPUs * period / 1e9)
	}
	if r.CPUPeriod != 0 {
		cpu.Period = ptr(uint64(r.CPUPeriod))
	}
	if r.CPUQuota != 0 {
		cpu.Quota = ptr(r.CPUQuota)
	}
	if !isZeroCPU(cpu) {
		out.CPU = &cpu
	}

	if r.PidsLimit != nil && *r.PidsLimit > 0 {
		out.Pids = &specs.LinuxPids{Limit: ptr(*r.PidsLimit)}
	}

	var bio specs.LinuxBlockIO
	if r.BlkioWeight > 0 {
		bio.Weight = ptr(r.BlkioWeight)
	}
	for _, d := range r.BlkioWeightDevice {
		if d == nil {
			continue
		}
		maj, mnr, err := dev(d.Path)
		if err != nil {
			return nil, err
		}
		wd := specs.LinuxWeightDevice{Weight: ptr(d.Weight)}
		wd.Major, wd.Minor = maj, mnr
		bio.WeightDevice = append(bio.WeightDevice, wd)
	}
	var err error
	for _, t := range []struct {
		in  []*blkiodev.ThrottleDevice
		out *[]specs.LinuxThrottleDevice
	}{
		{r.BlkioDeviceReadBps, &bio.ThrottleReadBpsDevice},
		{r.BlkioDeviceWriteBps, &bio.ThrottleWriteBpsDevice},
		{r.BlkioDeviceReadIOps, &bio.ThrottleReadIOPSDevice},
		{r.BlkioDeviceWriteIOps, &bio.ThrottleWriteIOPSDevice},
	} {
		if *t.out, err = throttle(t.in, dev); err != nil {
			return nil, err
		}
	}
	if bio.Weight != nil || len(bio.WeightDevice) > 0 || len(bio.ThrottleReadBpsDevice) > 0 || len(bio.ThrottleWriteBpsDevice) > 0 ||
		len(bio.ThrottleReadIOPSDevice) > 0 || len(bio.ThrottleWriteIOPSDevice) > 0 {
		out.BlockIO = &bio
	}
	return out, nil
}

func isZeroCPU(c specs.LinuxCPU) bool {
	return c.Shares == nil && c.Quota == nil && c.Period == nil && c.Cpus == "" && c.Mems == ""
}

func throttle(in []*blkiodev.ThrottleDevice, dev DevNum) ([]specs.LinuxThrottleDevice, error) {
	var out []specs.LinuxThrottleDevice
	for _, d := range in {
		if d == nil {
			continue
		}
		maj, mnr, err := dev(d.Path)
		if err != nil {
			return nil, err
		}
		td := specs.LinuxThrottleDevice{Rate: d.Rate}
		td.Major, td.Minor = maj, mnr
		out = append(out, td)
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// SpecOpt applies the limits of hc to the spec of container id: cgroup
// path and resources (device rules kept), rlimits, OOM score, shm size.
func SpecOpt(id string, hc *container.HostConfig) oci.SpecOpt {
	return func(s *specs.Spec) error {
		lr, err := Linux(hc.Resources, nil)
		if err != nil {
			return err
		}
		s.Linux.CgroupsPath = CgroupPath(hc.CgroupParent, id)
		if s.Linux.Resources == nil {
			s.Linux.Resources = &specs.LinuxResources{}
		}
		res := s.Linux.Resources
		res.Memory, res.CPU, res.Pids, res.BlockIO = lr.Memory, lr.CPU, lr.Pids, lr.BlockIO
		s.Process.Rlimits = mergeRlimits(s.Process.Rlimits, hc.Ulimits)
		if hc.OomScoreAdj != 0 {
			adj := hc.OomScoreAdj
			s.Process.OOMScoreAdj = &adj
		}
		if hc.ShmSize > 0 {
			return oci.WithShmSize(hc.ShmSize)(s)
		}
		return nil
	}
}

// mergeRlimits replaces the rlimits of the types the ulimits name and adds
// the others.
func mergeRlimits(base []specs.POSIXRlimit, ul []*container.Ulimit) []specs.POSIXRlimit {
	out := slices.Clone(base)
	for _, u := range ul {
		if u == nil {
			continue
		}
		rl := specs.POSIXRlimit{Type: "RLIMIT_" + strings.ToUpper(u.Name), Hard: uint64(u.Hard), Soft: uint64(u.Soft)}
		i := slices.IndexFunc(out, func(r specs.POSIXRlimit) bool { return r.Type == rl.Type })
		if i >= 0 {
			out[i] = rl
		} else {
			out = append(out, rl)
		}
	}
	return out
}
