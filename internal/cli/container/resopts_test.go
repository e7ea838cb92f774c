package container

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"
)

func TestResourceFlags(t *testing.T) {
	cfg, err := parseArgs(t, "-m", "32m", "--memory-swap", "-1", "--memory-reservation", "16m", "--memory-swappiness", "10",
		"--oom-kill-disable", "--cpus", "1.5", "-c", "512", "--cpuset-cpus", "0", "--pids-limit", "20",
		"--device-read-bps", "/dev/vda:1mb", "--device-write-iops", "/dev/vda:100", "--ulimit", "nofile=10:20",
		"--shm-size", "8m", "--oom-score-adj", "100", "--cgroup-parent", "/p", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	hc := cfg.HostConfig
	sw, pids, oomkd := int64(10), int64(20), true
	want := container.Resources{
		Memory: 32 << 20, MemorySwap: -1, MemoryReservation: 16 << 20, MemorySwappiness: &sw, OomKillDisable: &oomkd,
		NanoCPUs: 15e8, CPUShares: 512, CpusetCpus: "0", PidsLimit: &pids, CgroupParent: "/p",
		BlkioDeviceReadBps:   []*blkiodev.ThrottleDevice{{Path: "/dev/vda", Rate: 1 << 20}},
		BlkioDeviceWriteIOps: []*blkiodev.ThrottleDevice{{Path: "/dev/vda", Rate: 100}},
		Ulimits:              []*container.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}},
	}
	if diff := cmp.Diff(want, hc.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if hc.ShmSize != 8<<20 || hc.OomScoreAdj != 100 {
		t.Errorf("shm %d oom %d", hc.ShmSize, hc.OomScoreAdj)
	}
	// Unset flags send nothing: the daemon's defaults apply.
	cfg, err = parseArgs(t, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.HostConfig.Resources; r.PidsLimit != nil || r.MemorySwappiness != nil || r.OomKillDisable != nil || r.Memory != 0 {
		t.Errorf("defaults = %+v", r)
	}
}

func TestResourceFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--memory", "10x"}, "invalid suffix"},
		{[]string{"--cpus", "abc"}, "failed to parse abc as a rational number"},
		{[]string{"--cpus", "0.0000000001"}, "value is too precise"},
	} {
		var o containerOptions
		flags := pflag.NewFlagSet("run", pflag.ContinueOnError)
		addContainerFlags(flags, &o)
		err := flags.Parse(append(tc.args, "busybox"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%v) = %v, want %q", tc.args, err, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--memory-swappiness", "101"}, "invalid value: 101. Valid memory swappiness range is 0-100"},
		{[]string{"--device-read-bps", "vda:1mb"}, "bad format"},
		{[]string{"--device-read-bps", "/dev/vda:fast"}, "invalid rate for device"},
		{[]string{"--device-write-iops", "/dev/vda:1.5"}, "invalid rate for device"},
		{[]string{"--blkio-weight-device", "/dev/vda:5"}, "invalid weight for device"},
		{[]string{"--ulimit", "nofile=20:10"}, "ulimit soft limit must be less than or equal to hard limit"},
	} {
		var o containerOptions
		flags := pflag.NewFlagSet("run", pflag.ContinueOnError)
		addContainerFlags(flags, &o)
		if err := flags.Parse(append(tc.args, "busybox")); err != nil {
			t.Fatalf("Parse(%v) = %v", tc.args, err)
		}
		o.image = "busybox"
		_, err := parse(flags, &o, func(string) (string, bool) { return "", false })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parse(%v) = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestEntryFromStats(t *testing.T) {
	s := &container.StatsResponse{ID: "abc", Name: "/web"}
	s.CPUStats.CPUUsage.TotalUsage = 2e9
	s.PreCPUStats.CPUUsage.TotalUsage = 1.5e9
	s.CPUStats.SystemUsage = 4e9
	s.PreCPUStats.SystemUsage = 2e9
	s.CPUStats.OnlineCPUs = 2
	s.MemoryStats = container.MemoryStats{Usage: 100 << 20, Limit: 400 << 20, Stats: map[string]uint64{"total_inactive_file": 50 << 20}}
	s.Networks = map[string]container.NetworkStats{"eth0": {RxBytes: 1000, TxBytes: 2000}, "eth1": {RxBytes: 500}}
	s.BlkioStats.IoServiceBytesRecursive = []container.BlkioStatEntry{{Op: "Read", Value: 4096}, {Op: "write", Value: 8192}, {Op: "Total", Value: 12288}}
	s.PidsStats.Current = 7
	r := statsRow{entryFromStats(s)}
	got := []string{r.Name(), r.CPUPerc(), r.MemUsage(), r.MemPerc(), r.NetIO(), r.BlockIO(), r.PIDs()}
	want := []string{"web", "50.00%", "50MiB / 400MiB", "12.50%", "1.5kB / 2kB", "4.1kB / 8.19kB", "7"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("row (-want +got):\n%s", diff)
	}
}
