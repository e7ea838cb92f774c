package sysinfo

import (
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// SysInfo is what the host's cgroups support. A false field means a limit
// of that kind cannot be enforced here and is refused.
type SysInfo struct {
	CgroupVersion string // "1" or "2"

	MemoryLimit       bool // memory.limit_in_bytes / memory.max
	SwapLimit         bool // memory.memsw.limit_in_bytes / memory.swap.max
	MemoryReservation bool // memory.soft_limit_in_bytes / memory.low
	MemorySwappiness  bool // v1 only
	OomKillDisable    bool // v1 only
	KernelMemory      bool // never: the kernel no longer enforces kmem limits

	CPUShares bool // cpu.shares / cpu.weight
	CPUCfs    bool // cpu.cfs_{quota,period}_us / cpu.max

	Cpuset bool
	Cpus   string // the CPUs containers may use, e.g. "0-1"
	Mems   string // the memory nodes containers may use

	PidsLimit bool

	BlkioWeight          bool
	BlkioWeightDevice    bool
	BlkioReadBpsDevice   bool
	BlkioWriteBpsDevice  bool
	BlkioReadIOpsDevice  bool
	BlkioWriteIOpsDevice bool
}

// Root is the cgroup file system's mount point.
const Root = "/sys/fs/cgroup"

var (
	once   sync.Once
	probed *SysInfo
)

// Get returns the host's SysInfo, probed once per process.
func Get() *SysInfo {
	once.Do(func() { probed = Probe(Root, isCgroup2(Root)) })
	return probed
}

func isCgroup2(root string) bool {
	var st unix.Statfs_t
	return unix.Statfs(root, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// Probe reads the cgroup tree at root: one directory per v1 controller
// (root/memory, root/cpu, ...), or with v2 the unified hierarchy itself.
func Probe(root string, v2 bool) *SysInfo {
	if v2 {
		return probeV2(root)
	}
	return probeV1(root)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// v1Dir returns the mount point of a v1 controller: root/<name>, or a
// co-mounted directory such as root/cpu,cpuacct.
func v1Dir(root, name string) string {
	if d := filepath.Join(root, name); exists(d) {
		return d
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if slices.Contains(strings.Split(e.Name(), ","), name) {
			return filepath.Join(root, e.Name())
		}
	}
	return ""
}

func probeV1(root string) *SysInfo {
	si := &SysInfo{CgroupVersion: "1"}
	has := func(ctrl, file string) bool {
		d := v1Dir(root, ctrl)
		return d != "" && exists(filepath.Join(d, file))
	}
	si.MemoryLimit = has("memory", "memory.limit_in_bytes")
	si.SwapLimit = has("memory", "memory.memsw.limit_in_bytes")
	si.MemoryReservation = has("memory", "memory.soft_limit_in_bytes")
	si.MemorySwappiness = has("memory", "memory.swappiness")
	si.OomKillDisable = has("memory", "memory.oom_control")
	si.CPUShares = has("cpu", "cpu.shares")
	si.CPUCfs = has("cpu", "cpu.cfs_quota_us") && has("cpu", "cpu.cfs_period_us")
	if d := v1Dir(root, "cpuset"); d != "" {
		si.Cpus = readTrim(filepath.Join(d, "cpuset.effective_cpus"), filepath.Join(d, "cpuset.cpus"))
		si.Mems = readTrim(filepath.Join(d, "cpuset.effective_mems"), filepath.Join(d, "cpuset.mems"))
		si.Cpuset = si.Cpus != ""
	}
	si.PidsLimit = v1Dir(root, "pids") != ""
	si.BlkioWeight = has("blkio", "blkio.weight") || has("blkio", "blkio.bfq.weight")
	si.BlkioWeightDevice = has("blkio", "blkio.weight_device") || has("blkio", "blkio.bfq.weight_device")
	si.BlkioReadBpsDevice = has("blkio", "blkio.throttle.read_bps_device")
	si.BlkioWriteBpsDevice = has("blkio", "blkio.throttle.write_bps_device")
	si.BlkioReadIOpsDevice = has("blkio", "blkio.throttle.read_iops_device")
	si.BlkioWriteIOpsDevice = has("blkio", "blkio.throttle.write_iops_device")
	return si
}

func probeV2(root string) *SysInfo {
	si := &SysInfo{CgroupVersion: "2"}
	b, _ := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	ctrls := strings.Fields(string(b))
	has := func(c string) bool { return slices.Contains(ctrls, c) }
	si.MemoryLimit = has("memory")
	si.MemoryReservation = has("memory")
	if si.MemoryLimit {
		// The root has no memory.swap.max; a child that has memory
		// enabled shows whether swap accounting is compiled in and on.
		m, _ := filepath.Glob(filepath.Join(root, "*", "memory.swap.max"))
		si.SwapLimit = len(m) > 0
	}
	si.CPUShares = has("cpu")
	si.CPUCfs = has("cpu")
	if has("cpuset") {
		si.Cpus = readTrim(filepath.Join(root, "cpuset.cpus.effective"))
		si.Mems = readTrim(filepath.Join(root, "cpuset.mems.effective"))
		si.Cpuset = si.Cpus != ""
	}
	si.PidsLimit = has("pids")
	io := has("io")
	si.BlkioWeight = io
	si.BlkioWeightDevice = io
	si.BlkioReadBpsDevice = io
	si.BlkioWriteBpsDevice = io
	si.BlkioReadIOpsDevice = io
	si.BlkioWriteIOpsDevice = io
	return si
}

// readTrim returns the trimmed content of the first file that has any.
func readTrim(files ...string) string {
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			if s := strings.TrimSpace(string(b)); s != "" {
				return s
			}
		}
	}
	return ""
}

// NumCPU is the number of CPUs this process may run on.
func NumCPU() int { return goruntime.NumCPU() }

// Warnings are Docker's `info` warnings for what is missing.
func (si *SysInfo) Warnings() []string {
	var w []string
	add := func(ok bool, msg string) {
		if !ok {
			w = append(w, "WARNING: "+msg)
		}
	}
	v2 := si.CgroupVersion == "2"
	add(si.MemoryLimit, "No memory limit support")
	add(si.SwapLimit, "No swap limit support")
	if !v2 {
		add(si.OomKillDisable, "No oom kill disable support")
	}
	add(si.CPUCfs, "No cpu cfs quota support")
	add(si.CPUCfs, "No cpu cfs period support")
	add(si.CPUShares, "No cpu shares support")
	add(si.Cpuset, "No cpuset support")
	if v2 {
		add(si.BlkioWeight, "No io.weight support")
		add(si.BlkioWeightDevice, "No io.weight (per device) support")
		add(si.BlkioReadBpsDevice, "No io.max (rbps) support")
		add(si.BlkioWriteBpsDevice, "No io.max (wbps) support")
		add(si.BlkioReadIOpsDevice, "No io.max (riops) support")
		add(si.BlkioWriteIOpsDevice, "No io.max (wiops) support")
	} else {
		add(si.BlkioWeight, "No blkio weight support")
		add(si.BlkioWeightDevice, "No blkio weight_device support")
		add(si.BlkioReadBpsDevice, "No blkio throttle.read_bps_device support")
		add(si.BlkioWriteBpsDevice, "No blkio throttle.write_bps_device support")
		add(si.BlkioReadIOpsDevice, "No blkio throttle.read_iops_device support")
		add(si.BlkioWriteIOpsDevice, "No blkio throttle.write_iops_device support")
	}
	return w
}

// ParseList parses a cpuset list such as "0-2,4" into its members.
func ParseList(s string) (map[int]bool, error) {
	out := map[int]bool{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, errInvalidList(s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, errInvalidList(s)
			}
		}
		for i := a; i <= b; i++ {
			out[i] = true
		}
	}
	return out, nil
}

type errInvalidList string

func (e errInvalidList) Error() string { return "invalid format: " + string(e) }

// IsSubset reports whether every member of the list requested is in the
// list available; an empty request always is.
func IsSubset(requested, available string) (bool, error) {
	req, err := ParseList(requested)
	if err != nil {
		return false, err
	}
	avail, err := ParseList(available)
	if err != nil {
		return false, err
	}
	for k := range req {
		if !avail[k] {
			return false, nil
		}
	}
	return true, nil
}
