package resources

import (
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestMergeUlimitsKeepsTheContainersOwn(t *testing.T) {
	own := []*container.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}}
	defaults := []*container.Ulimit{{Name: "nofile", Soft: 1, Hard: 2}, {Name: "nproc", Soft: 3, Hard: 4}}
	got := MergeUlimits(own, defaults)
	if len(got) != 2 || got[0].Name != "nofile" || got[0].Soft != 10 || got[1].Name != "nproc" || got[1].Hard != 4 {
		t.Errorf("MergeUlimits() = %+v %+v, want the container's nofile and the default nproc", got[0], got[len(got)-1])
	}
	if len(own) != 1 {
		t.Errorf("MergeUlimits changed its input: %v", own)
	}
}
