package container

import (
	"slices"
	"strings"
)

// CRI containers (Kubernetes pod sandboxes and their containers, made
// through tugd's CRI socket) live apart from the Engine API's, as
// containerd keeps them in their own namespace: they carry CRIOwnerLabel,
// and labels under CRILabelPrefix are the CRI server's alone.
const (
	CRILabelPrefix = "io.tug.cri"
	CRIOwnerLabel  = CRILabelPrefix + ".owner"
)

// IsCRI tells whether labels are those of a CRI container.
func IsCRI(labels map[string]string) bool {
	_, ok := labels[CRIOwnerLabel]
	return ok
}

// ReservedLabel returns a label of labels under CRILabelPrefix, which only
// the CRI server may set.
func ReservedLabel(labels map[string]string) (string, bool) {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if strings.HasPrefix(k, CRILabelPrefix) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", false
	}
	slices.Sort(keys)
	return keys[0], true
}
