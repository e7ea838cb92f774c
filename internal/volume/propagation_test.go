package volume

import (
	"testing"

	apimount "github.com/moby/moby/api/types/mount"
)

// The root mount shares when a mount point shares, and is a slave when one
// is, as Docker sets it; otherwise the runtime's default stays.
func TestRootPropagationFollowsTheMountPoints(t *testing.T) {
	for _, tc := range []struct {
		name string
		ps   []apimount.Propagation
		want string
	}{
		{"none", nil, ""},
		{"private", []apimount.Propagation{apimount.PropagationRPrivate, ""}, ""},
		{"slave", []apimount.Propagation{apimount.PropagationRSlave}, "rslave"},
		{"shared", []apimount.Propagation{apimount.PropagationShared}, "rshared"},
		{"shared wins over slave", []apimount.Propagation{apimount.PropagationSlave, apimount.PropagationRShared}, "rshared"},
	} {
		var mps []MountPoint
		for _, p := range tc.ps {
			mps = append(mps, MountPoint{Propagation: p})
		}
		if got := RootPropagation(mps); got != tc.want {
			t.Errorf("%s: RootPropagation = %q, want %q", tc.name, got, tc.want)
		}
	}
}
