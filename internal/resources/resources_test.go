package resources

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/fs2"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/sysinfo"
)

// full is a host whose cgroups support everything, with 2 CPUs.
func full() Host {
	return Host{
		Info: &sysinfo.SysInfo{
			CgroupVersion: "1", MemoryLimit: true, SwapLimit: true, MemoryReservation: true, MemorySwappiness: true,
			OomKillDisable: true, CPUShares: true, CPUCfs: true, Cpuset: true, Cpus: "0-1", Mems: "0", PidsLimit: true,
			BlkioWeight: true, BlkioWeightDevice: true, BlkioReadBpsDevice: true, BlkioWriteBpsDevice: true,
			BlkioReadIOpsDevice: true, BlkioWriteIOpsDevice: true,
		},
		NCPU:      2,
		HardLimit: func(int) (uint64, error) { return 1024, nil },
		IsBlockDevice: func(p string) error {
			if p == "/dev/vda" {
				return nil
			}
			return errors.New("it does not exist")
		},
	}
}

func i64(v int64) *int64 { return &v }
func bptr(v bool) *bool  { return &v }

func TestValidate(t *testing.T) {
	noSwap := full()
	noSwap.Info = &sysinfo.SysInfo{MemoryLimit: true, Cpus: "0-1", Mems: "0"}
	noBlkio := full()
	si := *noBlkio.Info
	si.BlkioWeight = false
	noBlkio.Info = &si
	for _, tc := range []struct {
		name string
		hc   container.HostConfig
		host Host
		want string // error text, "" for none
	}{
		{"no limits", container.HostConfig{}, full(), ""},
		{"memory", container.HostConfig{Resources: container.Resources{Memory: 32 << 20}}, full(), ""},
		{"memory 1k", container.HostConfig{Resources: container.Resources{Memory: 1024}}, full(), "Minimum memory limit allowed is 6MB"},
		{"swap below memory", container.HostConfig{Resources: container.Resources{Memory: 32 << 20, MemorySwap: 16 << 20}}, full(), "Minimum memoryswap limit should be larger than memory limit, see usage"},
		{"swap alone", container.HostConfig{Resources: container.Resources{MemorySwap: 16 << 20}}, full(), "You should always set the Memory limit when using Memoryswap limit, see usage"},
		{"swap without accounting", container.HostConfig{Resources: container.Resources{Memory: 32 << 20, MemorySwap: 64 << 20}}, noSwap, "MemorySwap (--memory-swap) is not supported on this host"},
		{"swappiness 101", container.HostConfig{Resources: container.Resources{MemorySwappiness: i64(101)}}, full(), "Invalid value: 101, valid memory swappiness range is 0-100"},
		{"swappiness -1 unset", container.HostConfig{Resources: container.Resources{MemorySwappiness: i64(-1)}}, noSwap, ""},
		{"reservation above limit", container.HostConfig{Resources: container.Resources{Memory: 16 << 20, MemoryReservation: 32 << 20}}, full(), "Minimum memory limit can not be less than memory reservation limit, see usage"},
		{"oom kill disable unsupported", container.HostConfig{Resources: container.Resources{OomKillDisable: bptr(true)}}, noSwap, "OomKillDisable (--oom-kill-disable) is not supported on this host"},
		{"cpus 3 of 2", container.HostConfig{Resources: container.Resources{NanoCPUs: 3e9}}, full(), "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
		{"cpus and period", container.HostConfig{Resources: container.Resources{NanoCPUs: 1e9, CPUPeriod: 100000}}, full(), "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
		{"period 100", container.HostConfig{Resources: container.Resources{CPUPeriod: 100}}, full(), "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{"quota 100", container.HostConfig{Resources: container.Resources{CPUQuota: 100}}, full(), "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
		{"cpuset 5", container.HostConfig{Resources: container.Resources{CpusetCpus: "5"}}, full(), "Requested CPUs are not available - requested 5, available: 0-1"},
		{"cpuset 0-1", container.HostConfig{Resources: container.Resources{CpusetCpus: "0-1"}}, full(), ""},
		{"cpuset bad", container.HostConfig{Resources: container.Resources{CpusetCpus: "a"}}, full(), "Invalid value a for cpuset cpus"},
		{"mems 1", container.HostConfig{Resources: container.Resources{CpusetMems: "1"}}, full(), "Requested memory nodes are not available - requested 1, available: 0"},
		{"blkio weight unsupported", container.HostConfig{Resources: container.Resources{BlkioWeight: 300}}, noBlkio, "BlkioWeight (--blkio-weight) is not supported on this host"},
		{"blkio weight range", container.HostConfig{Resources: container.Resources{BlkioWeight: 5}}, full(), "Range of blkio weight is from 10 to 1000"},
		{"read bps missing device", container.HostConfig{Resources: container.Resources{BlkioDeviceReadBps: []*blkiodev.ThrottleDevice{{Path: "/dev/nope", Rate: 1}}}}, full(), "BlkioDeviceReadBps (--device-read-bps): invalid device /dev/nope: it does not exist"},
		{"read bps", container.HostConfig{Resources: container.Resources{BlkioDeviceReadBps: []*blkiodev.ThrottleDevice{{Path: "/dev/vda", Rate: 1}}}}, full(), ""},
		{"rt runtime", container.HostConfig{Resources: container.Resources{CPURealtimeRuntime: 1000}}, full(), "are not supported by tug"},
		{"cpu percent", container.HostConfig{Resources: container.Resources{CPUPercent: 50}}, full(), "CpuPercent (--cpu-percent) is not supported"},
		{"io maximum", container.HostConfig{Resources: container.Resources{IOMaximumIOps: 5}}, full(), "Invalid QoS settings"},
		{"ulimit type", container.HostConfig{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "bogus", Soft: 1, Hard: 1}}}}, full(), "invalid ulimit type: bogus"},
		{"ulimit soft above hard", container.HostConfig{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 10, Hard: 5}}}}, full(), "ulimit soft limit must be less than or equal to hard limit: 10 > 5"},
		{"ulimit above host hard", container.HostConfig{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 10, Hard: 2048}}}}, full(), "ulimit nofile: hard limit 2048 is above this host's hard limit 1024"},
		{"ulimit unlimited", container.HostConfig{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "core", Soft: -1, Hard: -1}}}}, full(), "is above this host's hard limit"},
		{"ulimit ok", container.HostConfig{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 100, Hard: 1024}}}}, full(), ""},
		{"oom score range", container.HostConfig{OomScoreAdj: 1001}, full(), "Invalid value 1001, range for oom score adj is [-1000, 1000]"},
		{"oom score lowered", container.HostConfig{OomScoreAdj: -1}, full(), "lowering the OOM score needs CAP_SYS_RESOURCE"},
		{"shm negative", container.HostConfig{ShmSize: -1}, full(), "SHM size can not be less than 0"},
		{"systemd parent", container.HostConfig{Resources: container.Resources{CgroupParent: "my.slice"}}, full(), "invalid cgroup parent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc := tc.hc
			_, err := Validate(&hc, tc.host)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestValidateDefaults(t *testing.T) {
	hc := container.HostConfig{Resources: container.Resources{Memory: 32 << 20, PidsLimit: i64(-1), CPUShares: 1}}
	w, err := Validate(&hc, full())
	if err != nil {
		t.Fatal(err)
	}
	if hc.MemorySwap != 64<<20 || hc.ShmSize != DefaultShmSize || hc.OomKillDisable == nil || *hc.OomKillDisable || hc.PidsLimit != nil || hc.CPUShares != 2 {
		t.Errorf("defaults: swap %d shm %d oomkd %v pids %v shares %d", hc.MemorySwap, hc.ShmSize, hc.OomKillDisable, hc.PidsLimit, hc.CPUShares)
	}
	if len(w) != 1 || !strings.Contains(w[0], "Changing requested CPUShares of 1 to minimum allowed of 2") {
		t.Errorf("warnings = %q", w)
	}
}

func TestUpdate(t *testing.T) {
	base := func() container.HostConfig {
		return container.HostConfig{Resources: container.Resources{Memory: 32 << 20, MemorySwap: 64 << 20, NanoCPUs: 5e8, PidsLimit: i64(20)}}
	}
	for _, tc := range []struct {
		name  string
		upd   container.UpdateConfig
		want  string
		check func(container.HostConfig) bool
	}{
		{"memory and swap", container.UpdateConfig{Resources: container.Resources{Memory: 64 << 20, MemorySwap: 128 << 20}}, "", func(hc container.HostConfig) bool {
			return hc.Memory == 64<<20 && hc.MemorySwap == 128<<20 && hc.NanoCPUs == 5e8
		}},
		{"memory above swap", container.UpdateConfig{Resources: container.Resources{Memory: 128 << 20}}, "Memory limit should be smaller than already set memoryswap limit", nil},
		{"pids unlimited", container.UpdateConfig{Resources: container.Resources{PidsLimit: i64(-1)}}, "", func(hc container.HostConfig) bool { return hc.PidsLimit == nil }},
		{"cpus", container.UpdateConfig{Resources: container.Resources{NanoCPUs: 15e8}}, "", func(hc container.HostConfig) bool { return hc.NanoCPUs == 15e8 }},
		{"quota with cpus", container.UpdateConfig{Resources: container.Resources{CPUQuota: 50000}}, "CPU Quota cannot be updated as NanoCPUs has already been set", nil},
		{"restart", container.UpdateConfig{RestartPolicy: container.RestartPolicy{Name: "always"}}, "", func(hc container.HostConfig) bool { return hc.RestartPolicy.Name == "always" }},
		{"restart bad", container.UpdateConfig{RestartPolicy: container.RestartPolicy{Name: "sometimes"}}, "invalid restart policy", nil},
		{"ulimits", container.UpdateConfig{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "nofile"}}}}, "Ulimits (--ulimit) cannot be updated", nil},
		{"cgroup parent", container.UpdateConfig{Resources: container.Resources{CgroupParent: "/x"}}, "CgroupParent (--cgroup-parent) cannot be updated", nil},
		{"swappiness", container.UpdateConfig{Resources: container.Resources{MemorySwappiness: i64(5)}}, "MemorySwappiness (--memory-swappiness) cannot be updated", nil},
		{"too many cpus", container.UpdateConfig{Resources: container.Resources{NanoCPUs: 4e9}}, "Range of CPUs", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc := base()
			before := base()
			_, err := Update(&hc, tc.upd, full())
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Update() = %v, want %q", err, tc.want)
				}
				if diff := cmp.Diff(before, hc); diff != "" {
					t.Errorf("a refused update changed the config (-before +after):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Update() = %v", err)
			}
			if !tc.check(hc) {
				t.Errorf("after update: %+v", hc.Resources)
			}
		})
	}
}

func u64(v uint64) *uint64 { return &v }

func TestLinux(t *testing.T) {
	dev := func(p string) (int64, int64, error) { return 253, 0, nil }
	r := container.Resources{
		Memory: 32 << 20, MemorySwap: 64 << 20, MemoryReservation: 16 << 20, MemorySwappiness: i64(10), OomKillDisable: bptr(true),
		NanoCPUs: 5e8, CPUShares: 512, CpusetCpus: "0", CpusetMems: "0", PidsLimit: i64(50),
		BlkioDeviceReadBps:   []*blkiodev.ThrottleDevice{{Path: "/dev/vda", Rate: 1 << 20}},
		BlkioDeviceWriteIOps: []*blkiodev.ThrottleDevice{{Path: "/dev/vda", Rate: 100}},
	}
	got, err := Linux(r, dev)
	if err != nil {
		t.Fatal(err)
	}
	td := func(rate uint64) []specs.LinuxThrottleDevice {
		d := specs.LinuxThrottleDevice{Rate: rate}
		d.Major, d.Minor = 253, 0
		return []specs.LinuxThrottleDevice{d}
	}
	want := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(32 << 20), Swap: i64(64 << 20), Reservation: i64(16 << 20), Swappiness: u64(10), DisableOOMKiller: bptr(true)},
		CPU:     &specs.LinuxCPU{Shares: u64(512), Quota: i64(50000), Period: u64(100000), Cpus: "0", Mems: "0"},
		Pids:    &specs.LinuxPids{Limit: i64(50)},
		BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: td(1 << 20), ThrottleWriteIOPSDevice: td(100)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Linux() (-want +got):\n%s", diff)
	}
	if got, _ := Linux(container.Resources{}, dev); !cmp.Equal(got, &specs.LinuxResources{}) {
		t.Errorf("Linux(none) = %+v, want empty", got)
	}
}

func TestSpecOptKeepsDevicesAndMergesRlimits(t *testing.T) {
	s := &specs.Spec{
		Process: &specs.Process{Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}}},
		Mounts:  []specs.Mount{{Destination: "/dev/shm", Options: []string{"nosuid", "size=65536k"}}},
		Linux:   &specs.Linux{Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}},
	}
	hc := &container.HostConfig{ShmSize: 1 << 20, OomScoreAdj: 100}
	hc.Memory = 32 << 20
	hc.CgroupParent = "/mine"
	hc.Ulimits = []*container.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}, {Name: "nproc", Soft: 5, Hard: 5}}
	if err := SpecOpt("abc", hc)(s); err != nil {
		t.Fatal(err)
	}
	if len(s.Linux.Resources.Devices) != 1 || *s.Linux.Resources.Memory.Limit != 32<<20 || s.Linux.CgroupsPath != "/mine/abc" {
		t.Errorf("resources %+v, cgroups path %q", s.Linux.Resources, s.Linux.CgroupsPath)
	}
	wantRl := []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 20, Soft: 10}, {Type: "RLIMIT_NPROC", Hard: 5, Soft: 5}}
	if diff := cmp.Diff(wantRl, s.Process.Rlimits); diff != "" {
		t.Errorf("rlimits (-want +got):\n%s", diff)
	}
	if *s.Process.OOMScoreAdj != 100 || !strings.Contains(strings.Join(s.Mounts[0].Options, ","), "size=1048576") {
		t.Errorf("oom %v, shm options %v", *s.Process.OOMScoreAdj, s.Mounts[0].Options)
	}
}

// What an update writes where on cgroup v2, through the same library
// call as on a real host (cgroups' TestMode lets it write to a plain
// directory): this machine's cgroups are v1 and it cannot mount a v2
// hierarchy with these controllers.
func TestCgroupV2Writes(t *testing.T) {
	cgroups.TestMode = true
	defer func() { cgroups.TestMode = false }()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cgroup.controllers"), []byte("cpuset cpu io memory pids"), 0o644); err != nil {
		t.Fatal(err)
	}
	lr, err := Linux(container.Resources{
		Memory: 32 << 20, MemorySwap: 64 << 20, MemoryReservation: 16 << 20,
		NanoCPUs: 5e8, CPUShares: 512, CpusetCpus: "0-1", PidsLimit: i64(50),
		BlkioDeviceReadBps: []*blkiodev.ThrottleDevice{{Path: "/dev/vda", Rate: 1 << 20}},
	}, func(string) (int64, int64, error) { return 253, 0, nil })
	if err != nil {
		t.Fatal(err)
	}
	m, err := fs2.NewManager(&cgroups.Cgroup{Resources: &cgroups.Resources{}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Set(cgroupResources(lr, true)); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory.max":      "33554432",
		"memory.swap.max": "33554432", // v2 counts swap alone: 64m total - 32m memory
		"memory.low":      "16777216",
		"cpu.max":         "50000 100000",
		"cpu.weight":      "59", // 512 shares, by the library's conversion
		"cpuset.cpus":     "0-1",
		"pids.max":        "50",
		"io.max":          "253:0 rbps=1048576",
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if got := strings.TrimSpace(string(b)); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", file, got, err, want)
		}
	}
}
