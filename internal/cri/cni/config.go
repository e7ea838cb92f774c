package cni

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
)

// Defaults: the configuration directory kubelets' runtimes read, and the
// plugin directories (the upstream one, then Debian's).
const DefaultConfDir = "/etc/cni/net.d"

// DefaultBinDirs are searched for plugins when none are configured.
var DefaultBinDirs = []string{"/opt/cni/bin", "/usr/lib/cni"}

// Load returns the network configuration list of the first configuration
// file in confDir (lexical order; .conflist, .conf or .json; a single
// plugin's .conf is wrapped into a list), after checking that every plugin
// it names is in one of binDirs. The error says what is missing.
func Load(confDir string, binDirs []string) (*libcni.NetworkConfigList, error) {
	files, err := libcni.ConfFiles(confDir, []string{".conflist", ".conf", ".json"})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", confDir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no network configuration in %s", confDir)
	}
	// ConfFiles sorts by name already; take the first that parses, as
	// containerd does, so a broken stray file does not hide a good one.
	var errs []error
	for _, f := range files {
		list, err := loadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(list.Plugins) == 0 {
			errs = append(errs, fmt.Errorf("%s: no plugins", f))
			continue
		}
		for _, p := range list.Plugins {
			if _, err := invoke.FindInPath(p.Network.Type, binDirs); err != nil {
				return nil, fmt.Errorf("%s: plugin %q not found in %v", filepath.Base(f), p.Network.Type, binDirs)
			}
		}
		return list, nil
	}
	return nil, errors.Join(errs...)
}

func loadFile(f string) (*libcni.NetworkConfigList, error) {
	if filepath.Ext(f) == ".conflist" {
		return libcni.ConfListFromFile(f)
	}
	conf, err := libcni.ConfFromFile(f)
	if err != nil {
		return nil, err
	}
	if conf.Network.Type == "" {
		// A .json may hold a list too.
		return libcni.ConfListFromFile(f)
	}
	return libcni.ConfListFromConf(conf)
}
