package network

import (
	"strings"
	"testing"
)

func TestKernelNames(t *testing.T) {
	if table, bridge := KernelNames("/run/tug/"); table != "tug" || bridge != "tug0" {
		t.Errorf("KernelNames(/run/tug/) = %s, %s", table, bridge)
	}
	t1, b1 := KernelNames("/tmp/tug-run1")
	t2, b2 := KernelNames("/tmp/tug-run2")
	if t1 == t2 || b1 == b2 || !strings.HasPrefix(t1, "tug-") || !strings.HasPrefix(b1, "tugbr") || len(b1) > 15 {
		t.Errorf("KernelNames = %s %s / %s %s: want distinct tug-* tables and tugbr* bridges of at most 15 bytes", t1, b1, t2, b2)
	}
}
