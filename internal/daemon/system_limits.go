package daemon

import (
	"github.com/moby/moby/api/types/system"

	"github.com/tug-project/tug/internal/sysinfo"
)

// limitsInfo fills the limit capabilities of `info` from what this host's
// cgroups support, with Docker's warnings for what they do not.
func limitsInfo(info *system.Info) {
	si := sysinfo.Get()
	info.CgroupVersion = si.CgroupVersion
	info.MemoryLimit = si.MemoryLimit
	info.SwapLimit = si.SwapLimit
	info.OomKillDisable = si.OomKillDisable
	info.CPUCfsPeriod = si.CPUCfs
	info.CPUCfsQuota = si.CPUCfs
	info.CPUShares = si.CPUShares
	info.CPUSet = si.Cpuset
	info.PidsLimit = si.PidsLimit
	info.Warnings = append(info.Warnings, si.Warnings()...)
}
