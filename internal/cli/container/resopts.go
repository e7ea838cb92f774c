package container

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"

	"github.com/tug-project/tug/internal/cli/opts"
)

// memBytes is a size flag parsed like Docker's (units.RAMInBytes: 512m,
// 1g, 1024); -1 where the flag allows it.
type memBytes int64

func (m *memBytes) String() string {
	if *m == 0 {
		return "0"
	}
	return units.BytesSize(float64(*m))
}

func (m *memBytes) Set(v string) error {
	n, err := units.RAMInBytes(v)
	*m = memBytes(n)
	return err
}

func (m *memBytes) Type() string { return "bytes" }

// memSwapBytes is --memory-swap: a size, or -1 for unlimited swap.
type memSwapBytes int64

func (m *memSwapBytes) String() string { return (*memBytes)(m).String() }

func (m *memSwapBytes) Set(v string) error {
	if v == "-1" {
		*m = -1
		return nil
	}
	return (*memBytes)(m).Set(v)
}

func (m *memSwapBytes) Type() string { return "bytes" }

// nanoCPUs is --cpus: a decimal number of CPUs stored in units of 1e-9.
type nanoCPUs int64

func (c *nanoCPUs) String() string {
	if *c == 0 {
		return ""
	}
	return big.NewRat(int64(*c), 1e9).FloatString(3)
}

func (c *nanoCPUs) Set(v string) error {
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return fmt.Errorf("failed to parse %v as a rational number", v)
	}
	n := r.Mul(r, big.NewRat(1e9, 1))
	if !n.IsInt() {
		return fmt.Errorf("value is too precise")
	}
	*c = nanoCPUs(n.Num().Int64())
	return nil
}

func (c *nanoCPUs) Type() string { return "decimal" }

// resourceOptions are the resource limit flags of run, create (and, a
// subset, update).
type resourceOptions struct {
	memory            memBytes
	memorySwap        memSwapBytes
	memoryReservation memBytes
	memorySwappiness  int64
	kernelMemory      memBytes
	oomKillDisable    bool
	oomScoreAdj       int
	cpus              nanoCPUs
	cpuShares         int64
	cpuPeriod         int64
	cpuQuota          int64
	cpuRtPeriod       int64
	cpuRtRuntime      int64
	cpuCount          int64
	cpuPercent        int64
	cpusetCpus        string
	cpusetMems        string
	pidsLimit         int64
	blkioWeight       uint16
	blkioWeightDevice []string
	deviceReadBps     []string
	deviceWriteBps    []string
	deviceReadIOps    []string
	deviceWriteIOps   []string
	ulimits           []string
	shmSize           memBytes
	cgroupParent      string
}

// addUpdatableResourceFlags are the flags `update` shares with run/create.
func addUpdatableResourceFlags(flags *pflag.FlagSet, o *resourceOptions) {
	flags.VarP(&o.memory, "memory", "m", "Memory limit")
	flags.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	flags.Var(&o.memoryReservation, "memory-reservation", "Memory soft limit")
	flags.Var(&o.cpus, "cpus", "Number of CPUs")
	flags.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	flags.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	flags.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	flags.Int64Var(&o.cpuRtPeriod, "cpu-rt-period", 0, "Limit CPU real-time period in microseconds")
	flags.Int64Var(&o.cpuRtRuntime, "cpu-rt-runtime", 0, "Limit CPU real-time runtime in microseconds")
	flags.StringVar(&o.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	flags.StringVar(&o.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	flags.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	flags.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	flags.Var(&o.kernelMemory, "kernel-memory", "Kernel memory limit")
}

func addResourceFlags(flags *pflag.FlagSet, o *resourceOptions) {
	addUpdatableResourceFlags(flags, o)
	flags.Int64Var(&o.memorySwappiness, "memory-swappiness", -1, "Tune container memory swappiness (0 to 100)")
	flags.BoolVar(&o.oomKillDisable, "oom-kill-disable", false, "Disable OOM Killer")
	flags.IntVar(&o.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
	flags.Int64Var(&o.cpuCount, "cpu-count", 0, "CPU count (Windows only)")
	flags.Int64Var(&o.cpuPercent, "cpu-percent", 0, "CPU percent (Windows only)")
	flags.Var(opts.NewList(&o.blkioWeightDevice, "list"), "blkio-weight-device", "Block IO weight (relative device weight)")
	flags.Var(opts.NewList(&o.deviceReadBps, "list"), "device-read-bps", "Limit read rate (bytes per second) from a device")
	flags.Var(opts.NewList(&o.deviceWriteBps, "list"), "device-write-bps", "Limit write rate (bytes per second) to a device")
	flags.Var(opts.NewList(&o.deviceReadIOps, "list"), "device-read-iops", "Limit read rate (IO per second) from a device")
	flags.Var(opts.NewList(&o.deviceWriteIOps, "list"), "device-write-iops", "Limit write rate (IO per second) to a device")
	flags.Var(opts.NewList(&o.ulimits, "ulimit"), "ulimit", "Ulimit options")
	flags.Var(&o.shmSize, "shm-size", "Size of /dev/shm")
	flags.StringVar(&o.cgroupParent, "cgroup-parent", "", "Optional parent cgroup for the container")
}

// kernelMemoryWarning is printed for --kernel-memory, which is accepted
// and not applied: the kernel no longer enforces it.
const kernelMemoryWarning = "WARNING: Specifying a kernel memory limit is deprecated and will be removed in a future release. The limit is discarded: the kernel no longer enforces it."

// updatableResources returns the resources the flags of update set.
func (o *resourceOptions) updatableResources(flags *pflag.FlagSet) container.Resources {
	r := container.Resources{
		Memory:             int64(o.memory),
		MemorySwap:         int64(o.memorySwap),
		MemoryReservation:  int64(o.memoryReservation),
		NanoCPUs:           int64(o.cpus),
		CPUShares:          o.cpuShares,
		CPUPeriod:          o.cpuPeriod,
		CPUQuota:           o.cpuQuota,
		CPURealtimePeriod:  o.cpuRtPeriod,
		CPURealtimeRuntime: o.cpuRtRuntime,
		CpusetCpus:         o.cpusetCpus,
		CpusetMems:         o.cpusetMems,
		BlkioWeight:        o.blkioWeight,
	}
	if flags.Changed("pids-limit") {
		n := o.pidsLimit
		r.PidsLimit = &n
	}
	return r
}

// apply fills the create request's HostConfig from the flags.
func (o *resourceOptions) apply(flags *pflag.FlagSet, hc *container.HostConfig) error {
	hc.Resources = o.updatableResources(flags)
	r := &hc.Resources
	r.CPUCount, r.CPUPercent = o.cpuCount, o.cpuPercent
	r.CgroupParent = o.cgroupParent
	if o.memorySwappiness != -1 {
		if o.memorySwappiness < 0 || o.memorySwappiness > 100 {
			return fmt.Errorf("invalid value: %d. Valid memory swappiness range is 0-100", o.memorySwappiness)
		}
		s := o.memorySwappiness
		r.MemorySwappiness = &s
	}
	if flags.Changed("oom-kill-disable") {
		v := o.oomKillDisable
		r.OomKillDisable = &v
	}
	var err error
	for _, d := range o.blkioWeightDevice {
		wd, err := parseWeightDevice(d)
		if err != nil {
			return fmt.Errorf("invalid argument %q for \"--blkio-weight-device\" flag: %w", d, err)
		}
		r.BlkioWeightDevice = append(r.BlkioWeightDevice, wd)
	}
	for _, t := range []struct {
		flag string
		in   []string
		out  *[]*blkiodev.ThrottleDevice
		iops bool
	}{
		{"device-read-bps", o.deviceReadBps, &r.BlkioDeviceReadBps, false},
		{"device-write-bps", o.deviceWriteBps, &r.BlkioDeviceWriteBps, false},
		{"device-read-iops", o.deviceReadIOps, &r.BlkioDeviceReadIOps, true},
		{"device-write-iops", o.deviceWriteIOps, &r.BlkioDeviceWriteIOps, true},
	} {
		for _, v := range t.in {
			td, err := parseThrottleDevice(v, t.iops)
			if err != nil {
				return fmt.Errorf("invalid argument %q for \"--%s\" flag: %w", v, t.flag, err)
			}
			*t.out = append(*t.out, td)
		}
	}
	for _, u := range o.ulimits {
		ul, perr := units.ParseUlimit(u)
		if perr != nil {
			return fmt.Errorf("invalid argument %q for \"--ulimit\" flag: %w", u, perr)
		}
		r.Ulimits = append(r.Ulimits, ul)
	}
	hc.ShmSize = int64(o.shmSize)
	hc.OomScoreAdj = o.oomScoreAdj
	return err
}

// parseThrottleDevice parses PATH:RATE (bytes per second, with a unit)
// or PATH:N (IO per second), as docker/cli does.
func parseThrottleDevice(v string, iops bool) (*blkiodev.ThrottleDevice, error) {
	path, rate, ok := strings.Cut(v, ":")
	if !ok || strings.Contains(rate, ":") {
		return nil, fmt.Errorf("bad format: %s", v)
	}
	if !strings.HasPrefix(path, "/dev/") {
		return nil, fmt.Errorf("bad format for device path: %s", v)
	}
	if iops {
		n, err := strconv.ParseUint(rate, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>. Number must be a positive integer", v)
		}
		return &blkiodev.ThrottleDevice{Path: path, Rate: n}, nil
	}
	n, err := units.RAMInBytes(rate)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb", v)
	}
	return &blkiodev.ThrottleDevice{Path: path, Rate: uint64(n)}, nil
}

// parseWeightDevice parses PATH:WEIGHT.
func parseWeightDevice(v string) (*blkiodev.WeightDevice, error) {
	path, w, ok := strings.Cut(v, ":")
	if !ok || strings.Contains(w, ":") {
		return nil, fmt.Errorf("bad format: %s", v)
	}
	if !strings.HasPrefix(path, "/dev/") {
		return nil, fmt.Errorf("bad format for device path: %s", v)
	}
	n, err := strconv.ParseUint(w, 10, 16)
	if err != nil || (n != 0 && (n < 10 || n > 1000)) {
		return nil, fmt.Errorf("invalid weight for device: %s", v)
	}
	return &blkiodev.WeightDevice{Path: path, Weight: uint16(n)}, nil
}
