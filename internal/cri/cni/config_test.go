package cni

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Load takes the first configuration file in name order whose plugins are
// installed, wraps a single plugin's .conf into a list, and says what is
// wrong otherwise.
func TestLoadPicksTheFirstConfigurationWithItsPlugins(t *testing.T) {
	bin := t.TempDir()
	for _, p := range []string{"bridge", "portmap"} {
		if err := os.WriteFile(filepath.Join(bin, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	list := `{"cniVersion": "1.0.0", "name": "%s", "plugins": [{"type": "bridge"}, {"type": "portmap"}]}`
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    string // network name, or "" for an error
		wantErr string
	}{
		{"empty dir", nil, "", "no network configuration in"},
		{"first in name order", map[string]string{
			"20-b.conflist": strings.Replace(list, "%s", "b", 1),
			"10-a.conflist": strings.Replace(list, "%s", "a", 1),
		}, "a", ""},
		{"single plugin conf", map[string]string{"10-c.conf": `{"cniVersion": "1.0.0", "name": "c", "type": "bridge"}`}, "c", ""},
		{"broken file skipped", map[string]string{
			"05-broken.conflist": `{`,
			"10-a.conflist":      strings.Replace(list, "%s", "a", 1),
		}, "a", ""},
		{"missing plugin", map[string]string{"10-m.conflist": `{"cniVersion": "1.0.0", "name": "m", "plugins": [{"type": "macvlan"}]}`}, "", `plugin "macvlan" not found`},
		{"other extensions ignored", map[string]string{"10-a.txt": strings.Replace(list, "%s", "a", 1)}, "", "no network configuration in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Load(dir, []string{filepath.Join(dir, "nothing-here"), bin})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load() = %v, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Name != tc.want {
				t.Fatalf("Load() = %v, %v; want network %q", got, err, tc.want)
			}
		})
	}
}
