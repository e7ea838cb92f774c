package limits

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/sysinfo"
	"github.com/tug-project/tug/internal/testutil"
)

// Bad limits are refused before anything is created: exit 125 from run,
// with Docker's text.
func TestLimitErrorsBeforeCreate(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	si := sysinfo.Get()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--memory", "10x"}, `invalid argument "10x" for "-m, --memory" flag`},
		{[]string{"--memory", "1k"}, "Minimum memory limit allowed is 6MB"},
		{[]string{"--memory", "32m", "--memory-swap", "16m"}, "Minimum memoryswap limit should be larger than memory limit, see usage"},
		{[]string{"--memory-swap", "64m"}, "You should always set the Memory limit when using Memoryswap limit, see usage"},
		{[]string{"--cpus", "64"}, "Range of CPUs is from 0.01 to"},
		{[]string{"--cpuset-cpus", "63"}, "Requested CPUs are not available - requested 63, available: " + si.Cpus},
		{[]string{"--cpuset-cpus", "x"}, "Invalid value x for cpuset cpus"},
		{[]string{"--memory-swappiness", "101"}, "alid memory swappiness range is 0-100"},
		{[]string{"--cpu-period", "100"}, "CPU cfs period can not be less than 1ms"},
		{[]string{"--oom-score-adj", "2000"}, "range for oom score adj is [-1000, 1000]"},
		{[]string{"--ulimit", "nofile=99999999:99999999"}, "ulimit nofile: hard limit 99999999 is above this host's hard limit"},
		{[]string{"--cpu-rt-runtime", "1000"}, "CpuRealtimePeriod and CpuRealtimeRuntime (--cpu-rt-period, --cpu-rt-runtime) are not supported by tug"},
		{[]string{"--device-read-bps", "/dev/nonexistent:1mb"}, "BlkioDeviceReadBps (--device-read-bps): invalid device /dev/nonexistent: it does not exist"},
	}
	if !si.BlkioWeight {
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"--blkio-weight", "300"}, "BlkioWeight (--blkio-weight) is not supported on this host"})
	}
	for _, c := range d.CLIs() {
		for _, tc := range cases {
			t.Run(c.Name+" "+strings.Join(tc.args, " "), func(t *testing.T) {
				args := append([]string{"run", "--rm", "--network", "none"}, tc.args...)
				r := c.Run("", append(args, "busybox", "true")...)
				if r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
					t.Errorf("run %v = %s, want exit 125 and %q", tc.args, r, tc.want)
				}
			})
		}
	}
	if r := d.Tug("ps", "-a", "-q"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("containers left by refused runs: %q", r.Stdout)
	}
}
