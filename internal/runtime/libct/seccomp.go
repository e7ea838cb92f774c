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
	cache   = map[string][]byte{} // the spec's linux.seccomp, as written -> the file's content
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
//
// Only the profile's part of config.json is decoded, and a profile seen
// before is found by its text: the file's content is then at hand, with
// no decoding, digest or encoding (~0.5 ms of each start).
func PrecompileSeccomp(bundle string) error {
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return err
	}
	var doc struct {
		Linux *struct {
			Seccomp json.RawMessage `json:"seccomp"`
		} `json:"linux"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("parse %s/config.json: %w", bundle, err)
	}
	path := filepath.Join(bundle, precompiledName)
	if doc.Linux == nil || len(doc.Linux.Seccomp) == 0 || string(doc.Linux.Seccomp) == "null" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	profile := string(doc.Linux.Seccomp)
	cacheMu.Lock()
	content, ok := cache[profile]
	cacheMu.Unlock()
	if !ok {
		if content, err = compileSeccomp(doc.Linux.Seccomp); err != nil {
			return err
		}
		cacheMu.Lock()
		if len(cache) >= cacheSize {
			clear(cache)
		}
		cache[profile] = content
		cacheMu.Unlock()
	}
	// No fsync: the bundle is remade at every start.
	return os.WriteFile(path, content, 0o600)
}

// compileSeccomp returns the precompiled file of the profile raw.
func compileSeccomp(raw json.RawMessage) ([]byte, error) {
	var profile specs.LinuxSeccomp
	if err := json.Unmarshal(raw, &profile); err != nil {
		return nil, err
	}
	key, err := seccompKey(&profile)
	if err != nil {
		return nil, err
	}
	config, err := specconv.SetupSeccomp(&profile)
	if err != nil {
		return nil, err
	}
	filter, err := seccomp.Compile(config)
	if err != nil {
		return nil, fmt.Errorf("compiling the seccomp profile: %w", err)
	}
	return json.Marshal(precompiled{Key: key, Filter: filter})
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
