package container

import "testing"

func TestCRILabels(t *testing.T) {
	for _, tc := range []struct {
		labels   map[string]string
		cri      bool
		reserved string
	}{
		{nil, false, ""},
		{map[string]string{"app": "web"}, false, ""},
		{map[string]string{CRIOwnerLabel: "cri", "io.tug.cri.kind": "sandbox"}, true, "io.tug.cri.kind"},
		{map[string]string{"io.tug.crimson": "x"}, false, "io.tug.crimson"},
	} {
		if got := IsCRI(tc.labels); got != tc.cri {
			t.Errorf("IsCRI(%v) = %v, want %v", tc.labels, got, tc.cri)
		}
		if got, _ := ReservedLabel(tc.labels); got != tc.reserved {
			t.Errorf("ReservedLabel(%v) = %q, want %q", tc.labels, got, tc.reserved)
		}
	}
}
