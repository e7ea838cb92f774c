package libct

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// precompiledName is the file in a bundle that holds the container's
// seccomp filter compiled by PrecompileSeccomp.
const precompiledName = "seccomp.bpf.json"

// precompiled is that file: the filter and the key of the profile it was
// compiled from (the digest of the spec's linux.seccomp).
type precompiled struct {
	Key    string                      `json:"key"`
	Filter *configs.PrecompiledSeccomp `json:"filter"`
}

// cacheSize bounds the filters kept: one per profile and capability set.
const cacheSize = 64

var (
	cacheMu sync.Mutex
	cache   = map[string]*configs.PrecompiledSeccomp{}
)

// seccompKey identifies a profile: the digest of its JSON.
func seccompKey(s *specs.LinuxSeccomp) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// PrecompileSeccomp compiles the seccomp filter of the bundle's spec into
// the program libcontainer would load, once per profile for the life of
// this process, and writes it next to config.json, where Create hands it to
// the container's init: the init loads it instead of compiling the profile
// with libseccomp (15-50 ms here) at every start. The program enforces
// the whole profile, argument filters included: it is what libcontainer
// itself compiles, made earlier. A bundle without a seccomp profile gets
// no file; a process built without seccomp support gets an error (the
// init then compiles, and fails as it always did).
func PrecompileSeccomp(bundle string) error {
	spec, err := LoadSpec(bundle)
	if err != nil {
		return err
	}
	path := filepath.Join(bundle, precompiledName)
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	key, err := seccompKey(spec.Linux.Seccomp)
	if err != nil {
		return err
	}
	cacheMu.Lock()
	filter, ok := cache[key]
	cacheMu.Unlock()
	if !ok {
		config, err := specconv.SetupSeccomp(spec.Linux.Seccomp)
		if err != nil {
			return err
		}
		if filter, err = seccomp.Compile(config); err != nil {
			return fmt.Errorf("compiling the seccomp profile: %w", err)
		}
		cacheMu.Lock()
		if len(cache) >= cacheSize {
			clear(cache)
		}
		cache[key] = filter
		cacheMu.Unlock()
	}
	b, err := json.Marshal(precompiled{Key: key, Filter: filter})
	if err != nil {
		return err
	}
	// No fsync: the bundle is remade at every start.
	return os.WriteFile(path, b, 0o600)
}

// usePrecompiled gives config the filter PrecompileSeccomp wrote in the
// bundle when it was compiled from the profile in spec; otherwise config
// stays as it is and the init compiles the profile itself.
func usePrecompiled(bundle string, spec *specs.Spec, config *configs.Config) {
	if config.Seccomp == nil || spec.Linux == nil || spec.Linux.Seccomp == nil {
		return
	}
	b, err := os.ReadFile(filepath.Join(bundle, precompiledName))
	if err != nil {
		return
	}
	var p precompiled
	if json.Unmarshal(b, &p) != nil || p.Filter == nil {
		return
	}
	if key, err := seccompKey(spec.Linux.Seccomp); err != nil || key != p.Key {
		return
	}
	config.Seccomp.Precompiled = p.Filter
	// The rules are compiled into the program: without them the config
	// the init decodes (and state.json) is a third of its size. They stay
	// when one notifies, for the init's checks of such rules.
	for _, call := range config.Seccomp.Syscalls {
		if call.Action == configs.Notify {
			return
		}
	}
	config.Seccomp.Syscalls = nil
}
