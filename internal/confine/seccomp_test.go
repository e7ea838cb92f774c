package confine

import (
	"runtime"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestHostArchesDropsX32WithoutTheABI(t *testing.T) {
	all := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	for _, tc := range []struct {
		name   string
		arches []specs.Arch
		x32    bool
		want   []specs.Arch
	}{
		{"no x32 ABI", all, false, []specs.Arch{specs.ArchX86_64, specs.ArchX86}},
		{"x32 ABI", all, true, all},
		{"x32 alone stays", []specs.Arch{specs.ArchX32}, false, []specs.Arch{specs.ArchX32}},
		{"arm64", []specs.Arch{specs.ArchAARCH64, specs.ArchARM}, false, []specs.Arch{specs.ArchAARCH64, specs.ArchARM}},
		{"none", nil, false, nil},
	} {
		in := slices.Clone(tc.arches)
		got := hostArches(in, &Host{X32: tc.x32})
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s: hostArches(%v) (-want +got):\n%s", tc.name, tc.arches, d)
		}
		if !slices.Equal(in, tc.arches) {
			t.Errorf("%s: hostArches modified its input: %v", tc.name, in)
		}
	}
}

func TestDefaultProfileIsResolvedOncePerCapabilitySet(t *testing.T) {
	host := &Host{Seccomp: true}
	spec := func(caps ...string) *specs.Spec {
		return &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	}
	a, err := Seccomp("", false, host, spec("CAP_CHOWN", "CAP_KILL"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Seccomp("builtin", false, host, spec("CAP_KILL", "CAP_CHOWN"))
	if a != b {
		t.Error("the same capability set in another order resolved the profile again")
	}
	c, _ := Seccomp("", false, host, spec("CAP_KILL", "CAP_CHOWN", "CAP_SYS_ADMIN"))
	if c == a || len(c.Syscalls) == len(a.Syscalls) {
		t.Error("another capability set got the same profile")
	}
	if runtime.GOARCH != "amd64" {
		return
	}
	if slices.Contains(a.Architectures, specs.ArchX32) {
		t.Errorf("architectures %v include x32 on a host without the x32 ABI", a.Architectures)
	}
	d, _ := Seccomp("", false, &Host{Seccomp: true, X32: true}, spec("CAP_CHOWN", "CAP_KILL"))
	if d == a || !slices.Contains(d.Architectures, specs.ArchX32) {
		t.Errorf("architectures %v lack x32 on a host with the x32 ABI", d.Architectures)
	}
}
