package limits

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// update changes a running container's cgroup at once, and inspect
// shows the new values.
func TestUpdateRunningContainer(t *testing.T) {
	if cgroupV2() {
		t.Skip("reads cgroup v1 file names")
	}
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	for _, c := range d.CLIs() {
		t.Run(c.Name, func(t *testing.T) {
			name := "upd-" + c.Name
			if r := c.Run("", "run", "-d", "--name", name, "--network", "none", "-m", "32m", "--cpus", "0.5", "--pids-limit", "20", "busybox", "sleep", "1000"); r.ExitCode != 0 {
				t.Fatalf("run: %s", r)
			}
			id := fullID(t, d, name)
			r := c.Run("", "update", "--memory", "64m", "--memory-swap", "128m", "--cpus", "1.5", "--pids-limit", "30", "--restart", "on-failure:3", name)
			if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != name {
				t.Fatalf("update = %s", r)
			}
			for _, f := range []struct{ ctrl, file, want string }{
				{"memory", "memory.limit_in_bytes", "67108864"},
				{"memory", "memory.memsw.limit_in_bytes", "134217728"},
				{"cpu", "cpu.cfs_quota_us", "150000"},
				{"pids", "pids.max", "30"},
			} {
				if got := cgroupFile(t, f.ctrl, id, f.file); got != f.want {
					t.Errorf("%s = %q, want %q", f.file, got, f.want)
				}
			}
			res, err := d.Client.ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			hc := res.Container.HostConfig
			if hc.Memory != 64<<20 || hc.MemorySwap != 128<<20 || hc.NanoCPUs != 15e8 || hc.PidsLimit == nil || *hc.PidsLimit != 30 ||
				hc.RestartPolicy.Name != container.RestartPolicyOnFailure || hc.RestartPolicy.MaximumRetryCount != 3 {
				t.Errorf("inspect after update: memory %d swap %d cpus %d pids %v restart %+v", hc.Memory, hc.MemorySwap, hc.NanoCPUs, hc.PidsLimit, hc.RestartPolicy)
			}
		})
	}
}

// An update through the API that asks for what the host cannot do or
// what cannot change is refused, and nothing changes.
func TestUpdateRefused(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("run", "-d", "--name", "upr", "--network", "none", "-m", "32m", "--cpus", "0.5", "busybox", "sleep", "1000"); r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		res  container.Resources
		want string
	}{
		{"tiny memory", container.Resources{Memory: 1024}, "Minimum memory limit allowed is 6MB"},
		{"memory above swap", container.Resources{Memory: 128 << 20}, "Memory limit should be smaller than already set memoryswap limit"},
		{"period with cpus", container.Resources{CPUPeriod: 50000}, "CPU Period cannot be updated as NanoCPUs has already been set"},
		{"too many cpus", container.Resources{NanoCPUs: 64e9}, "Range of CPUs is from 0.01 to"},
		{"ulimits", container.Resources{Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 10, Hard: 10}}}, "Ulimits (--ulimit) cannot be updated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.res
			_, err := d.Client.ContainerUpdate(ctx, "upr", client.ContainerUpdateOptions{Resources: &r})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("update = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	res, err := d.Client.ContainerInspect(ctx, "upr", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hc := res.Container.HostConfig; hc.Memory != 32<<20 || hc.CPUPeriod != 0 || len(hc.Ulimits) != 0 {
		t.Errorf("after refused updates: memory %d, cpu period %d, ulimits %v; want unchanged", hc.Memory, hc.CPUPeriod, hc.Ulimits)
	}
}
