package resources

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/sysinfo"
)

const (
	minMemory    = 6 << 20 // Docker's minimum: room for the container's start
	minCPUShares = 2
	maxCPUShares = 262144
)

// Host is what validation needs to know about the machine.
type Host struct {
	Info           *sysinfo.SysInfo
	NCPU           int
	CapSysResource bool // may raise rlimits and lower the OOM score
	OOMScoreAdj    int  // this process's own
	// HardLimit returns this process's hard limit of an rlimit resource.
	HardLimit func(resource int) (uint64, error)
	// IsBlockDevice checks a --device-*-bps/iops path.
	IsBlockDevice func(path string) error
}

// ThisHost describes the machine tugd runs on.
func ThisHost() Host {
	h := Host{
		Info:           sysinfo.Get(),
		NCPU:           sysinfo.NumCPU(),
		CapSysResource: hasCap(unix.CAP_SYS_RESOURCE),
		HardLimit: func(res int) (uint64, error) {
			var rl unix.Rlimit
			err := unix.Getrlimit(res, &rl)
			return rl.Max, err
		},
		IsBlockDevice: isBlockDevice,
	}
	if b, err := os.ReadFile("/proc/self/oom_score_adj"); err == nil {
		h.OOMScoreAdj, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	return h
}

func hasCap(c int) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && mask&(1<<uint(c)) != 0
		}
	}
	return false
}

func isBlockDevice(path string) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return errors.New("it does not exist")
		}
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return errors.New("it is not a block device")
	}
	return nil
}

// checkDevice refuses a device path of a blkio limit that is no block
// device of this host.
func checkDevice(h Host, field, flag, path string) error {
	if err := h.IsBlockDevice(path); err != nil {
		return errdefs.InvalidParameter("%s (%s): invalid device %s: %v", field, flag, path, err)
	}
	return nil
}

// unsupported is the error for a limit this host's kernel cannot enforce.
// Docker drops such a limit with a warning; tug refuses it.
func unsupported(field, flag, docker string) error {
	return errdefs.InvalidParameter("%s (%s) is not supported on this host: %s", field, flag, docker)
}

// Validate checks the limits of a container to create, before anything is
// created, and fills in Docker's defaults (swap twice the memory, 64 MB
// of /dev/shm, OomKillDisable false). It returns Docker's warnings.
func Validate(hc *container.HostConfig, h Host) ([]string, error) {
	warnings, err := validateResources(&hc.Resources, h, false)
	if err != nil {
		return warnings, err
	}
	if hc.ShmSize < 0 {
		return warnings, errdefs.InvalidParameter("SHM size can not be less than 0")
	}
	if hc.ShmSize == 0 {
		hc.ShmSize = DefaultShmSize
	}
	if hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000 {
		return warnings, errdefs.InvalidParameter("Invalid value %d, range for oom score adj is [-1000, 1000]", hc.OomScoreAdj)
	}
	if !h.CapSysResource && hc.OomScoreAdj < min(0, h.OOMScoreAdj) {
		return warnings, errdefs.InvalidParameter("OomScoreAdj (--oom-score-adj) %d: lowering the OOM score needs CAP_SYS_RESOURCE, which tugd does not have on this host", hc.OomScoreAdj)
	}
	if err := validateUlimits(hc.Ulimits, h); err != nil {
		return warnings, err
	}
	if p := hc.CgroupParent; p != "" {
		if strings.Contains(p, "..") || strings.HasSuffix(p, ".slice") {
			return warnings, errdefs.InvalidParameter("invalid cgroup parent %q: tug uses the cgroupfs driver and wants a cgroup path such as /mygroup", p)
		}
	}
	if hc.Memory > 0 && hc.MemorySwap == 0 {
		if h.Info.SwapLimit {
			hc.MemorySwap = hc.Memory * 2 // Docker's default: as much swap as memory
		} else {
			hc.MemorySwap = -1
		}
	}
	if hc.OomKillDisable == nil {
		f := false
		hc.OomKillDisable = &f
	}
	if hc.PidsLimit != nil && *hc.PidsLimit <= 0 {
		hc.PidsLimit = nil // 0 and -1 are "no limit"
	}
	return warnings, nil
}

// DefaultShmSize is Docker's size of /dev/shm, 64 MiB.
const DefaultShmSize = 64 << 20

// validateResources is Docker's verifyPlatformContainerResources, with
// the limits this host cannot enforce refused instead of dropped.
func validateResources(r *container.Resources, h Host, update bool) (warnings []string, err error) {
	si := h.Info
	// Fields tug does not implement at all.
	switch {
	case r.CPURealtimePeriod != 0 || r.CPURealtimeRuntime != 0:
		return nil, errdefs.InvalidParameter("CpuRealtimePeriod and CpuRealtimeRuntime (--cpu-rt-period, --cpu-rt-runtime) are not supported by tug")
	case r.CPUCount != 0:
		return nil, errdefs.InvalidParameter("CpuCount (--cpu-count) is not supported: it is a Windows-only option")
	case r.CPUPercent != 0:
		return nil, errdefs.InvalidParameter("CpuPercent (--cpu-percent) is not supported: linux does not support CPU percent")
	case r.IOMaximumBandwidth != 0 || r.IOMaximumIOps != 0:
		return nil, errdefs.InvalidParameter("Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps")
	}

	// memory
	if r.Memory != 0 && r.Memory < minMemory {
		return nil, errdefs.InvalidParameter("Minimum memory limit allowed is 6MB")
	}
	if r.Memory > 0 && !si.MemoryLimit {
		return nil, unsupported("Memory", "--memory", "Your kernel does not support memory limit capabilities or the cgroup is not mounted")
	}
	if r.MemorySwap > 0 && !si.SwapLimit {
		return nil, unsupported("MemorySwap", "--memory-swap", "Your kernel does not support swap limit capabilities or the cgroup is not mounted")
	}
	if r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory {
		return nil, errdefs.InvalidParameter("Minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if r.Memory == 0 && r.MemorySwap > 0 && !update {
		return nil, errdefs.InvalidParameter("You should always set the Memory limit when using Memoryswap limit, see usage")
	}
	if r.MemorySwappiness != nil && *r.MemorySwappiness == -1 {
		r.MemorySwappiness = nil // -1 is the CLI's "unset"
	}
	if r.MemorySwappiness != nil {
		if !si.MemorySwappiness {
			return nil, unsupported("MemorySwappiness", "--memory-swappiness", "Your kernel does not support memory swappiness capabilities or the cgroup is not mounted")
		}
		if s := *r.MemorySwappiness; s < 0 || s > 100 {
			return nil, errdefs.InvalidParameter("Invalid value: %v, valid memory swappiness range is 0-100", s)
		}
	}
	if r.MemoryReservation > 0 && !si.MemoryReservation {
		return nil, unsupported("MemoryReservation", "--memory-reservation", "Your kernel does not support memory soft limit capabilities or the cgroup is not mounted")
	}
	if r.MemoryReservation > 0 && r.MemoryReservation < minMemory {
		return nil, errdefs.InvalidParameter("Minimum memory reservation allowed is 6MB")
	}
	if r.Memory > 0 && r.MemoryReservation > 0 && r.Memory < r.MemoryReservation {
		return nil, errdefs.InvalidParameter("Minimum memory limit can not be less than memory reservation limit, see usage")
	}
	if r.OomKillDisable != nil && *r.OomKillDisable {
		if !si.OomKillDisable {
			return nil, unsupported("OomKillDisable", "--oom-kill-disable", "Your kernel does not support OomKillDisable")
		}
		if r.Memory == 0 {
			warnings = append(warnings, "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.")
		}
	}
	if r.PidsLimit != nil && *r.PidsLimit > 0 && !si.PidsLimit {
		return nil, unsupported("PidsLimit", "--pids-limit", "Your kernel does not support PIDs limit capabilities or the cgroup is not mounted")
	}

	// cpu
	if r.NanoCPUs > 0 && r.CPUPeriod > 0 {
		return nil, errdefs.InvalidParameter("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	}
	if r.NanoCPUs > 0 && r.CPUQuota > 0 {
		return nil, errdefs.InvalidParameter("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
	}
	if r.NanoCPUs > 0 && !si.CPUCfs {
		return nil, errdefs.InvalidParameter("NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted")
	}
	if r.NanoCPUs < 0 || r.NanoCPUs > int64(h.NCPU)*1e9 {
		return nil, errdefs.InvalidParameter("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", h.NCPU, h.NCPU)
	}
	if r.NanoCPUs > 0 && r.NanoCPUs < 1e7 {
		return nil, errdefs.InvalidParameter("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", h.NCPU, h.NCPU)
	}
	if r.CPUShares < 0 {
		return nil, errdefs.InvalidParameter("CpuShares (--cpu-shares) %d: shares: invalid argument", r.CPUShares)
	}
	if r.CPUShares > 0 && !si.CPUShares {
		return nil, unsupported("CpuShares", "--cpu-shares", "Your kernel does not support CPU shares or the cgroup is not mounted")
	}
	if r.CPUShares > 0 && r.CPUShares < minCPUShares {
		warnings = append(warnings, fmt.Sprintf("Changing requested CPUShares of %d to minimum allowed of %d", r.CPUShares, minCPUShares))
		r.CPUShares = minCPUShares
	} else if r.CPUShares > maxCPUShares {
		warnings = append(warnings, fmt.Sprintf("Changing requested CPUShares of %d to maximum allowed of %d", r.CPUShares, maxCPUShares))
		r.CPUShares = maxCPUShares
	}
	if (r.CPUPeriod != 0 || r.CPUQuota != 0) && !si.CPUCfs {
		return nil, unsupported("CpuPeriod/CpuQuota", "--cpu-period, --cpu-quota", "Your kernel does not support CPU CFS scheduler")
	}
	if r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000) {
		return nil, errdefs.InvalidParameter("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	}
	if r.CPUQuota > 0 && r.CPUQuota < 1000 {
		return nil, errdefs.InvalidParameter("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	}

	// cpuset
	if (r.CpusetCpus != "" || r.CpusetMems != "") && !si.Cpuset {
		return nil, unsupported("CpusetCpus/CpusetMems", "--cpuset-cpus, --cpuset-mems", "Your kernel does not support cpuset or the cgroup is not mounted")
	}
	if ok, err := sysinfo.IsSubset(r.CpusetCpus, si.Cpus); err != nil {
		return nil, errdefs.InvalidParameter("Invalid value %s for cpuset cpus: %v", r.CpusetCpus, err)
	} else if !ok {
		return nil, errdefs.InvalidParameter("Requested CPUs are not available - requested %s, available: %s", r.CpusetCpus, si.Cpus)
	}
	if ok, err := sysinfo.IsSubset(r.CpusetMems, si.Mems); err != nil {
		return nil, errdefs.InvalidParameter("Invalid value %s for cpuset mems: %v", r.CpusetMems, err)
	} else if !ok {
		return nil, errdefs.InvalidParameter("Requested memory nodes are not available - requested %s, available: %s", r.CpusetMems, si.Mems)
	}

	// blkio
	if r.BlkioWeight > 0 && !si.BlkioWeight {
		return nil, unsupported("BlkioWeight", "--blkio-weight", "Your kernel does not support Block I/O weight or the cgroup is not mounted")
	}
	if r.BlkioWeight > 0 && (r.BlkioWeight < 10 || r.BlkioWeight > 1000) {
		return nil, errdefs.InvalidParameter("Range of blkio weight is from 10 to 1000")
	}
	if len(r.BlkioWeightDevice) > 0 && !si.BlkioWeightDevice {
		return nil, unsupported("BlkioWeightDevice", "--blkio-weight-device", "Your kernel does not support Block I/O weight_device or the cgroup is not mounted")
	}
	for _, d := range r.BlkioWeightDevice {
		if d == nil {
			continue
		}
		if d.Weight < 10 || d.Weight > 1000 {
			return nil, errdefs.InvalidParameter("Range of blkio weight is from 10 to 1000")
		}
		if err := checkDevice(h, "BlkioWeightDevice", "--blkio-weight-device", d.Path); err != nil {
			return nil, err
		}
	}
	for _, t := range []struct {
		devs      []*blkiodev.ThrottleDevice
		ok        bool
		field     string
		flag, msg string
	}{
		{r.BlkioDeviceReadBps, si.BlkioReadBpsDevice, "BlkioDeviceReadBps", "--device-read-bps", "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted"},
		{r.BlkioDeviceWriteBps, si.BlkioWriteBpsDevice, "BlkioDeviceWriteBps", "--device-write-bps", "Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted"},
		{r.BlkioDeviceReadIOps, si.BlkioReadIOpsDevice, "BlkioDeviceReadIOps", "--device-read-iops", "Your kernel does not support IOPS Block read limit or the cgroup is not mounted"},
		{r.BlkioDeviceWriteIOps, si.BlkioWriteIOpsDevice, "BlkioDeviceWriteIOps", "--device-write-iops", "Your kernel does not support IOPS Block write limit or the cgroup is not mounted"},
	} {
		if len(t.devs) == 0 {
			continue
		}
		if !t.ok {
			return nil, unsupported(t.field, t.flag, t.msg)
		}
		for _, d := range t.devs {
			if d == nil {
				continue
			}
			if err := checkDevice(h, t.field, t.flag, d.Path); err != nil {
				return nil, err
			}
		}
	}
	return warnings, nil
}

// rlimitTypes are the ulimit names Docker accepts.
var rlimitTypes = map[string]int{
	"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA,
	"fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK,
	"msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE,
	"nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS, "rtprio": unix.RLIMIT_RTPRIO,
	"rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK,
}

func validateUlimits(ul []*container.Ulimit, h Host) error {
	for _, u := range ul {
		if u == nil {
			continue
		}
		res, ok := rlimitTypes[u.Name]
		if !ok {
			return errdefs.InvalidParameter("invalid ulimit type: %s", u.Name)
		}
		if u.Soft > u.Hard {
			return errdefs.InvalidParameter("ulimit soft limit must be less than or equal to hard limit: %d > %d", u.Soft, u.Hard)
		}
		if h.CapSysResource || h.HardLimit == nil {
			continue
		}
		max, err := h.HardLimit(res)
		if err != nil {
			continue
		}
		if uint64(u.Hard) > max { // -1, unlimited, is above any finite limit
			return errdefs.InvalidParameter("ulimit %s: hard limit %d is above this host's hard limit %d, and tugd lacks CAP_SYS_RESOURCE to raise it", u.Name, u.Hard, max)
		}
	}
	return nil
}
