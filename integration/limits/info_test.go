package limits

import (
	"context"
	"slices"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/sysinfo"
	"github.com/tug-project/tug/internal/testutil"
)

// info reports what this host's cgroups support, with Docker's warnings.
func TestInfoReportsHostLimits(t *testing.T) {
	d := testutil.StartDaemon(t)
	res, err := d.Client.Info(context.Background(), client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info, si := res.Info, sysinfo.Get()
	if info.MemoryLimit != si.MemoryLimit || info.SwapLimit != si.SwapLimit || info.PidsLimit != si.PidsLimit ||
		info.CPUShares != si.CPUShares || info.CPUCfsQuota != si.CPUCfs || info.CPUSet != si.Cpuset ||
		info.OomKillDisable != si.OomKillDisable || info.CgroupVersion != si.CgroupVersion {
		t.Errorf("info limits = %+v, host = %+v", info, si)
	}
	for _, w := range si.Warnings() {
		if !slices.Contains(info.Warnings, w) {
			t.Errorf("info warnings %q lack %q", info.Warnings, w)
		}
	}
}
