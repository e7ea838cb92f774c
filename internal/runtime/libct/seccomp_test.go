package libct

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// The init gets the program PrecompileSeccomp left in the bundle instead of
// the rules, unless a rule notifies (the init checks those rules before
// loading any filter).
func TestUsePrecompiledReplacesRulesUnlessOneNotifies(t *testing.T) {
	for _, tc := range []struct {
		name      string
		action    configs.Action
		keepRules bool
	}{
		{"errno rules go", configs.Errno, false},
		{"a notify rule keeps them", configs.Notify, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bundle := t.TempDir()
			spec := &specs.Spec{Linux: &specs.Linux{Seccomp: &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}},
			}}}
			key, err := seccompKey(spec.Linux.Seccomp)
			if err != nil {
				t.Fatal(err)
			}
			filter := &configs.PrecompiledSeccomp{Program: []byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f}, Flags: 0}
			b, err := json.Marshal(precompiled{Key: key, Filter: filter})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(bundle, precompiledName), b, 0o600); err != nil {
				t.Fatal(err)
			}
			config := &configs.Config{Seccomp: &configs.Seccomp{
				DefaultAction: configs.Allow,
				Syscalls:      []*configs.Syscall{{Name: "mkdir", Action: tc.action}},
			}}
			usePrecompiled(bundle, spec, config)
			if config.Seccomp.Precompiled == nil {
				t.Fatal("the precompiled program was not used")
			}
			if got := len(config.Seccomp.Syscalls) > 0; got != tc.keepRules {
				t.Errorf("rules kept = %v, want %v", got, tc.keepRules)
			}
		})
	}
}

// A program compiled from another profile is not used, and the rules stay.
func TestUsePrecompiledIgnoresAProgramOfAnotherProfile(t *testing.T) {
	bundle := t.TempDir()
	b, err := json.Marshal(precompiled{Key: "another", Filter: &configs.PrecompiledSeccomp{Program: []byte{1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, precompiledName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{Linux: &specs.Linux{Seccomp: &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}}}
	config := &configs.Config{Seccomp: &configs.Seccomp{
		DefaultAction: configs.Allow,
		Syscalls:      []*configs.Syscall{{Name: "mkdir", Action: configs.Errno}},
	}}
	usePrecompiled(bundle, spec, config)
	if config.Seccomp.Precompiled != nil || len(config.Seccomp.Syscalls) != 1 {
		t.Errorf("precompiled = %v, rules = %d; want none and 1", config.Seccomp.Precompiled, len(config.Seccomp.Syscalls))
	}
}

// writeSpec writes spec as the bundle's config.json, indented or not (the
// profile's text differs, its key does not).
func writeSpec(t *testing.T, bundle string, spec *specs.Spec, indent bool) {
	t.Helper()
	b, err := json.Marshal(spec)
	if indent {
		b, err = json.MarshalIndent(spec, "", "\t")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Each bundle with a profile gets a program its init accepts, the second
// one of a profile from the cache; a bundle without one gets no file.
func TestPrecompileSeccompWritesAProgramTheInitAccepts(t *testing.T) {
	spec := &specs.Spec{Linux: &specs.Linux{Seccomp: &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}},
	}}}
	for i, indent := range []bool{false, false, true} {
		bundle := t.TempDir()
		writeSpec(t, bundle, spec, indent)
		if err := PrecompileSeccomp(bundle); err != nil {
			if strings.Contains(err.Error(), "not supported") {
				t.Skip("built without seccomp support (the seccomp build tag):", err)
			}
			t.Fatalf("bundle %d: PrecompileSeccomp() = %v", i, err)
		}
		config := &configs.Config{Seccomp: &configs.Seccomp{DefaultAction: configs.Allow,
			Syscalls: []*configs.Syscall{{Name: "mkdir", Action: configs.Errno}}}}
		usePrecompiled(bundle, spec, config)
		if config.Seccomp.Precompiled == nil || len(config.Seccomp.Precompiled.Program) == 0 {
			t.Errorf("bundle %d: the init would not use the precompiled program", i)
		}
	}
	bundle := t.TempDir()
	if err := os.WriteFile(filepath.Join(bundle, precompiledName), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeSpec(t, bundle, &specs.Spec{Linux: &specs.Linux{}}, false)
	if err := PrecompileSeccomp(bundle); err != nil {
		t.Fatalf("PrecompileSeccomp() without a profile = %v", err)
	}
	if _, err := os.Stat(filepath.Join(bundle, precompiledName)); !os.IsNotExist(err) {
		t.Errorf("a bundle without a profile kept %s (stat: %v)", precompiledName, err)
	}
}
