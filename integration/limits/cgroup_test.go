package limits

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// Every limit flag is written to the container's cgroup (or its process)
// and can be read back from the host.
func TestLimitsWrittenToCgroup(t *testing.T) {
	if cgroupV2() {
		t.Skip("reads cgroup v1 file names; the v2 writes are unit-tested in internal/resources")
	}
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	for _, c := range d.CLIs() {
		t.Run(c.Name, func(t *testing.T) {
			name := "lim-" + c.Name
			args := []string{"run", "-d", "--name", name, "--network", "none",
				"--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0", "--cpuset-mems", "0",
				"-m", "32m", "--memory-reservation", "16m", "--memory-swap", "64m", "--memory-swappiness", "10",
				"--oom-kill-disable", "--pids-limit", "50",
				"--ulimit", "nofile=100:200", "--shm-size", "8m", "--oom-score-adj", "200",
			}
			dev, devNum := blockDevice(t)
			if dev != "" {
				args = append(args, "--device-read-bps", dev+":1mb", "--device-write-iops", dev+":100")
			}
			r := c.Run("", append(args, "busybox", "sleep", "1000")...)
			if r.ExitCode != 0 {
				t.Fatalf("run: %s", r)
			}
			id := fullID(t, d, name)
			for _, f := range []struct{ ctrl, file, want string }{
				{"cpu", "cpu.cfs_quota_us", "50000"},
				{"cpu", "cpu.cfs_period_us", "100000"},
				{"cpu", "cpu.shares", "512"},
				{"cpuset", "cpuset.cpus", "0"},
				{"cpuset", "cpuset.mems", "0"},
				{"memory", "memory.limit_in_bytes", "33554432"},
				{"memory", "memory.soft_limit_in_bytes", "16777216"},
				{"memory", "memory.memsw.limit_in_bytes", "67108864"},
				{"memory", "memory.swappiness", "10"},
				{"pids", "pids.max", "50"},
			} {
				if got := cgroupFile(t, f.ctrl, id, f.file); got != f.want {
					t.Errorf("%s = %q, want %q", f.file, got, f.want)
				}
			}
			if got := cgroupFile(t, "memory", id, "memory.oom_control"); !strings.Contains(got, "oom_kill_disable 1") {
				t.Errorf("memory.oom_control = %q, want oom_kill_disable 1", got)
			}
			if dev != "" {
				if got := cgroupFile(t, "blkio", id, "blkio.throttle.read_bps_device"); got != devNum+" 1048576" {
					t.Errorf("read_bps_device = %q, want %q", got, devNum+" 1048576")
				}
				if got := cgroupFile(t, "blkio", id, "blkio.throttle.write_iops_device"); got != devNum+" 100" {
					t.Errorf("write_iops_device = %q, want %q", got, devNum+" 100")
				}
			}
			in := d.Tug("exec", name, "sh", "-c", "ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj; df -k /dev/shm | tail -1")
			f := strings.Fields(in.Stdout)
			if len(f) < 5 || f[0] != "100" || f[1] != "200" || f[2] != "200" || f[4] != "8192" {
				t.Errorf("in the container: %q, want nofile 100/200, oom_score_adj 200, /dev/shm 8192 KiB", in.Stdout)
			}
			res, err := d.Client.ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			hc := res.Container.HostConfig
			got := fmt.Sprint(hc.Memory, hc.MemorySwap, hc.NanoCPUs, hc.CPUShares, *hc.PidsLimit, hc.OomScoreAdj, hc.ShmSize)
			if want := "33554432 67108864 500000000 512 50 200 8388608"; got != want {
				t.Errorf("inspect = %q, want %q", got, want)
			}
		})
	}
}

// --cpu-period/--cpu-quota and --cgroup-parent.
func TestCPUPeriodQuotaAndCgroupParent(t *testing.T) {
	if cgroupV2() {
		t.Skip("reads cgroup v1 file names")
	}
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	parent := "tugtest-" + filepath.Base(d.Root)
	t.Cleanup(func() {
		for _, ctrl := range []string{"cpu", "memory", "pids", "cpuset", "blkio", "devices", "freezer", "cpuacct", "systemd"} {
			_ = os.Remove(filepath.Join("/sys/fs/cgroup", ctrl, parent))
		}
	})
	r := d.Docker("run", "-d", "--name", "cfs", "--network", "none", "--cpu-period", "50000", "--cpu-quota", "20000",
		"--cgroup-parent", "/"+parent, "busybox", "sleep", "1000")
	if r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	id := fullID(t, d, "cfs")
	dir := filepath.Join("/sys/fs/cgroup/cpu", parent, id)
	for file, want := range map[string]string{"cpu.cfs_period_us": "50000", "cpu.cfs_quota_us": "20000"} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || strings.TrimSpace(string(b)) != want {
			t.Errorf("%s/%s = %q, %v; want %s", dir, file, b, err, want)
		}
	}
	if r := d.Tug("rm", "-f", "cfs"); r.ExitCode != 0 {
		t.Fatalf("rm: %s", r)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s left after rm: %v", dir, err)
	}
}

// blockDevice returns a whole-disk block device of this machine and its
// "major:minor", or "" when there is none.
func blockDevice(t *testing.T) (string, string) {
	entries, _ := os.ReadDir("/sys/block")
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "loop") || strings.HasPrefix(n, "ram") || strings.HasPrefix(n, "zram") {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/sys/block", n, "dev"))
		if err != nil {
			continue
		}
		if _, err := os.Stat("/dev/" + n); err != nil {
			continue
		}
		return "/dev/" + n, strings.TrimSpace(string(b))
	}
	return "", ""
}
