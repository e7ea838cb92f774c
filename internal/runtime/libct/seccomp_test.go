package libct

import (
	"encoding/json"
	"os"
	"path/filepath"
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
