package resources

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/cgroups"
)

func TestParseSystemCPU(t *testing.T) {
	got, err := parseSystemCPU([]byte("cpu  100 0 50 800 10 5 5 0 0 0\ncpu0 50 0 25 400 5 2 3 0 0 0\n"))
	if err != nil || got != 970*1e7 {
		t.Errorf("parseSystemCPU = %d, %v; want %d", got, err, uint64(970*1e7))
	}
	if _, err := parseSystemCPU([]byte("intr 1\n")); err == nil {
		t.Error("parseSystemCPU without a cpu line: want an error")
	}
}

func TestParseNetDev(t *testing.T) {
	in := `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  eth0:    2000      20    1    2    0     0          0         0     3000      30    3    4    0     0       0          0
`
	want := map[string]container.NetworkStats{"eth0": {RxBytes: 2000, RxPackets: 20, RxErrors: 1, RxDropped: 2, TxBytes: 3000, TxPackets: 30, TxErrors: 3, TxDropped: 4}}
	if diff := cmp.Diff(want, parseNetDev([]byte(in))); diff != "" {
		t.Errorf("parseNetDev (-want +got):\n%s", diff)
	}
}

func TestAPIStats(t *testing.T) {
	st := cgroups.NewStats()
	st.CpuStats.CpuUsage = cgroups.CpuUsage{TotalUsage: 5, PercpuUsage: []uint64{2, 3}, UsageInKernelmode: 1, UsageInUsermode: 4}
	st.MemoryStats.Usage = cgroups.MemoryData{Usage: 100, MaxUsage: 200, Limit: 1 << 62}
	st.MemoryStats.Stats["total_inactive_file"] = 10
	st.PidsStats = cgroups.PidsStats{Current: 3, Limit: ^uint64(0)}
	st.BlkioStats.IoServiceBytesRecursive = []cgroups.BlkioStatEntry{{Major: 253, Op: "Read", Value: 7}}
	s := APIStats(st, 1000, false)
	if s.MemoryStats.Limit != 1000 || s.MemoryStats.MaxUsage != 200 || s.PidsStats.Limit != 0 || s.PidsStats.Current != 3 ||
		len(s.CPUStats.CPUUsage.PercpuUsage) != 2 || s.BlkioStats.IoServiceBytesRecursive[0].Value != 7 || s.MemoryStats.Stats["total_inactive_file"] != 10 {
		t.Errorf("APIStats v1 = %+v", s)
	}
	if s := APIStats(st, 1000, true); s.CPUStats.CPUUsage.PercpuUsage != nil || s.MemoryStats.MaxUsage != 0 {
		t.Errorf("APIStats v2 has v1-only fields: %+v", s)
	}
}
