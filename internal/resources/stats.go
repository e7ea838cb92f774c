package resources

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/cgroups"
)

// APIStats converts cgroup statistics to Docker's stats JSON: CPU,
// memory (the limit capped at the host's memory, as Docker does), block
// I/O and pids. memTotal is the host's memory; v2 tells which memory.stat
// keys the client will find.
func APIStats(st *cgroups.Stats, memTotal uint64, v2 bool) container.StatsResponse {
	var s container.StatsResponse
	cu := st.CpuStats.CpuUsage
	s.CPUStats.CPUUsage = container.CPUUsage{
		TotalUsage:        cu.TotalUsage,
		UsageInKernelmode: cu.UsageInKernelmode,
		UsageInUsermode:   cu.UsageInUsermode,
	}
	if !v2 {
		s.CPUStats.CPUUsage.PercpuUsage = cu.PercpuUsage
	}
	td := st.CpuStats.ThrottlingData
	s.CPUStats.ThrottlingData = container.ThrottlingData{Periods: td.Periods, ThrottledPeriods: td.ThrottledPeriods, ThrottledTime: td.ThrottledTime}

	m := st.MemoryStats
	s.MemoryStats = container.MemoryStats{
		Usage: m.Usage.Usage,
		Stats: m.Stats,
		Limit: m.Usage.Limit,
	}
	if !v2 {
		s.MemoryStats.MaxUsage = m.Usage.MaxUsage
		s.MemoryStats.Failcnt = m.Usage.Failcnt
	}
	if memTotal > 0 && (s.MemoryStats.Limit == 0 || s.MemoryStats.Limit > memTotal) {
		s.MemoryStats.Limit = memTotal
	}

	b := st.BlkioStats
	s.BlkioStats = container.BlkioStats{
		IoServiceBytesRecursive: blkio(b.IoServiceBytesRecursive),
		IoServicedRecursive:     blkio(b.IoServicedRecursive),
		IoQueuedRecursive:       blkio(b.IoQueuedRecursive),
		IoServiceTimeRecursive:  blkio(b.IoServiceTimeRecursive),
		IoWaitTimeRecursive:     blkio(b.IoWaitTimeRecursive),
		IoMergedRecursive:       blkio(b.IoMergedRecursive),
		IoTimeRecursive:         blkio(b.IoTimeRecursive),
		SectorsRecursive:        blkio(b.SectorsRecursive),
	}
	s.PidsStats = container.PidsStats{Current: st.PidsStats.Current, Limit: st.PidsStats.Limit}
	if s.PidsStats.Limit == ^uint64(0) || s.PidsStats.Limit > 1<<62 {
		s.PidsStats.Limit = 0 // "max": no limit
	}
	return s
}

func blkio(in []cgroups.BlkioStatEntry) []container.BlkioStatEntry {
	out := make([]container.BlkioStatEntry, 0, len(in))
	for _, e := range in {
		out = append(out, container.BlkioStatEntry{Major: e.Major, Minor: e.Minor, Op: e.Op, Value: e.Value})
	}
	return out
}

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// SystemCPUUsage is the host's CPU time in nanoseconds from /proc/stat,
// Docker's system_cpu_usage.
func SystemCPUUsage() (uint64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseSystemCPU(b)
}

func parseSystemCPU(b []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[0] != "cpu" {
			continue
		}
		var ticks uint64
		for _, v := range f[1:8] { // user nice system idle iowait irq softirq
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/stat: %w", err)
			}
			ticks += n
		}
		return ticks * (1e9 / clockTicks), nil
	}
	return 0, fmt.Errorf("/proc/stat: no cpu line")
}

// NetworkStats reads the interfaces of the network namespace of process
// pid (/proc/<pid>/net/dev), loopback left out.
func NetworkStats(pid int) (map[string]container.NetworkStats, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return nil, err
	}
	return parseNetDev(b), nil
}

func parseNetDev(b []byte) map[string]container.NetworkStats {
	out := map[string]container.NetworkStats{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		f := strings.Fields(rest)
		if name == "lo" || len(f) < 16 {
			continue
		}
		n := make([]uint64, 16)
		for i := range n {
			n[i], _ = strconv.ParseUint(f[i], 10, 64)
		}
		out[name] = container.NetworkStats{
			RxBytes: n[0], RxPackets: n[1], RxErrors: n[2], RxDropped: n[3],
			TxBytes: n[8], TxPackets: n[9], TxErrors: n[10], TxDropped: n[11],
		}
	}
	return out
}
