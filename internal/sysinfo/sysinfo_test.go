package sysinfo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func touch(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		body := ""
		switch filepath.Base(f) {
		case "cpuset.cpus", "cpuset.cpus.effective":
			body = "0-3\n"
		case "cpuset.mems", "cpuset.mems.effective":
			body = "0\n"
		case "cgroup.controllers":
			body = "cpuset cpu pids memory\n"
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A v1 tree like this VM's: no swap accounting and no blkio weight in
// this one, cpu and cpuacct co-mounted.
func TestProbeV1(t *testing.T) {
	root := t.TempDir()
	touch(t, root, "memory/memory.limit_in_bytes", "memory/memory.soft_limit_in_bytes", "memory/memory.oom_control",
		"cpu,cpuacct/cpu.shares", "cpu,cpuacct/cpu.cfs_quota_us", "cpu,cpuacct/cpu.cfs_period_us",
		"cpuset/cpuset.cpus", "cpuset/cpuset.mems", "pids/cgroup.procs", "blkio/blkio.throttle.read_bps_device")
	si := Probe(root, false)
	want := SysInfo{CgroupVersion: "1", MemoryLimit: true, MemoryReservation: true, OomKillDisable: true, CPUShares: true, CPUCfs: true,
		Cpuset: true, Cpus: "0-3", Mems: "0", PidsLimit: true, BlkioReadBpsDevice: true}
	if *si != want {
		t.Errorf("Probe v1 = %+v\nwant %+v", *si, want)
	}
	w := strings.Join(si.Warnings(), "\n")
	for _, s := range []string{"WARNING: No swap limit support", "WARNING: No blkio weight support"} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings %q lack %q", w, s)
		}
	}
	if strings.Contains(w, "No memory limit support") {
		t.Errorf("warnings %q claim no memory limit", w)
	}
}

func TestProbeV2(t *testing.T) {
	root := t.TempDir()
	touch(t, root, "cgroup.controllers", "cpuset.cpus.effective", "cpuset.mems.effective", "system.slice/memory.swap.max")
	si := Probe(root, true)
	want := SysInfo{CgroupVersion: "2", MemoryLimit: true, SwapLimit: true, MemoryReservation: true, CPUShares: true, CPUCfs: true,
		Cpuset: true, Cpus: "0-3", Mems: "0", PidsLimit: true}
	if *si != want {
		t.Errorf("Probe v2 = %+v\nwant %+v", *si, want)
	}
	if w := strings.Join(si.Warnings(), "\n"); !strings.Contains(w, "No io.weight support") || strings.Contains(w, "oom kill") {
		t.Errorf("v2 warnings = %q", w)
	}
}

func TestIsSubset(t *testing.T) {
	for _, tc := range []struct {
		req, avail string
		want       bool
		err        bool
	}{
		{"", "0-1", true, false},
		{"0", "0-1", true, false},
		{"0-1", "0-1", true, false},
		{"1,3", "0-3", true, false},
		{"2", "0-1", false, false},
		{"0-5", "0-3", false, false},
		{"a", "0-1", false, true},
		{"3-1", "0-3", false, true},
		{"-1", "0-3", false, true},
	} {
		got, err := IsSubset(tc.req, tc.avail)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("IsSubset(%q, %q) = %v, %v; want %v, error %v", tc.req, tc.avail, got, err, tc.want, tc.err)
		}
	}
}
