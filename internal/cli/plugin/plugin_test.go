package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config"
	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

const validMeta = `{"SchemaVersion":"0.1.0","Vendor":"Test Inc.","Version":"v1.2","ShortDescription":"Say hello"}`

// script is a plugin answering the metadata handshake with meta and, when
// run, writing its arguments and DOCKER_HOST to $OUT and exiting with $CODE.
func script(meta string) string {
	return "#!/bin/sh\n" +
		"if [ \"$1\" = docker-cli-plugin-metadata ]; then printf '%s' '" + meta + "'; exit 0; fi\n" +
		"printf '%s\\n' \"$*\" \"$DOCKER_HOST\" \"$DOCKER_CONTEXT\" \"${DOCKER_CLI_PLUGIN_SOCKET:+socket}\" >\"$OUT\"\n" +
		"exit ${CODE:-0}\n"
}

// setup makes a client configuration directory whose cli-plugins folder
// holds files, plus an extra plugin folder named in config.json's
// cliPluginsExtraDirs holding extra; it returns both folders.
func setup(t *testing.T, files, extra map[string]string) (string, string) {
	t.Helper()
	cfg := t.TempDir()
	extraDir := t.TempDir()
	write := func(dir string, files map[string]string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(filepath.Join(cfg, "cli-plugins"), files)
	write(extraDir, extra)
	b, _ := json.Marshal(map[string]any{"cliPluginsExtraDirs": []string{extraDir}})
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	saved := config.Dir()
	config.SetDir(cfg)
	t.Cleanup(func() { config.SetDir(saved) })
	return filepath.Join(cfg, "cli-plugins"), extraDir
}

func testRoot() *cobra.Command {
	root := &cobra.Command{Use: "tug"}
	root.AddCommand(&cobra.Command{Use: "ps", Run: func(*cobra.Command, []string) {}},
		&cobra.Command{Use: "container", Aliases: []string{"ctr"}, Run: func(*cobra.Command, []string) {}})
	return root
}

func TestListAppliesTheDockerCLIChecks(t *testing.T) {
	setup(t, map[string]string{
		"docker-hello":   script(validMeta),
		"docker-ps":      script(validMeta),
		"docker-ctr":     script(validMeta),
		"docker-Bad":     script(validMeta),
		"docker-novend":  script(`{"SchemaVersion":"0.1.0"}`),
		"docker-badjson": script(`{`),
		"docker-schema2": script(`{"SchemaVersion":"2.0.0","Vendor":"x"}`),
		"docker-fails":   "#!/bin/sh\nexit 1\n",
		"hello":          script(validMeta),
	}, nil)
	plugins, err := List(testRoot())
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	got := map[string]string{}
	for _, p := range plugins {
		if !strings.HasPrefix(p.Path, config.Dir()) {
			continue // installed on this machine, not the test's
		}
		got[p.Name] = ""
		if p.Err != nil {
			got[p.Name] = p.Err.Error()
		}
	}
	want := map[string]string{
		"hello":   "",
		"ps":      `plugin "ps" duplicates builtin command`,
		"ctr":     `plugin "ctr" duplicates an alias of builtin command "container"`,
		"Bad":     `plugin candidate "Bad" did not match "^[a-z][a-z0-9]*$"`,
		"novend":  "plugin metadata does not define a vendor",
		"badjson": "invalid metadata: unexpected end of JSON input",
		"schema2": `plugin SchemaVersion "2.0.0" is not supported: must be lower than 2.0.0`,
		"fails":   "failed to fetch metadata: exit status 1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List() errors (-want +got):\n%s", diff)
	}
}

func TestListReadsMetadataAndPrefersEarlierDirs(t *testing.T) {
	cfgDir, extraDir := setup(t,
		map[string]string{"docker-hello": script(validMeta)},
		map[string]string{"docker-hello": script(`{"SchemaVersion":"0.1.0","Vendor":"Extra"}`)})
	plugins, err := List(testRoot())
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	i := slices.IndexFunc(plugins, func(p Plugin) bool { return p.Name == "hello" })
	if i < 0 {
		t.Fatalf("List() = %v, want hello", plugins)
	}
	p := plugins[i]
	if p.Path != filepath.Join(extraDir, "docker-hello") || p.Vendor != "Extra" || p.Err != nil {
		t.Errorf("hello = %+v, want the cliPluginsExtraDirs one (Vendor Extra)", p)
	}
	if !slices.Contains(p.ShadowedPaths, filepath.Join(cfgDir, "docker-hello")) {
		t.Errorf("ShadowedPaths = %v, want the cli-plugins one", p.ShadowedPaths)
	}
}

func TestRunHandsArgsAndDaemonToThePlugin(t *testing.T) {
	setup(t, map[string]string{"docker-hello": script(validMeta)}, nil)
	out := filepath.Join(t.TempDir(), "out")
	t.Setenv("OUT", out)
	t.Setenv("DOCKER_CONTEXT", "elsewhere")
	args := []string{"-H", "unix:///run/x.sock", "hello", "world", "-d"}
	if err := Run(context.Background(), testRoot(), "hello", "unix:///run/x.sock", args, false); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "-H unix:///run/x.sock hello world -d\nunix:///run/x.sock\n\nsocket\n"
	if string(b) != want {
		t.Errorf("plugin saw %q, want %q (args, DOCKER_HOST, no DOCKER_CONTEXT, plugin socket)", b, want)
	}
}

func TestRunReturnsThePluginsExitStatus(t *testing.T) {
	setup(t, map[string]string{"docker-hello": script(validMeta)}, nil)
	t.Setenv("OUT", filepath.Join(t.TempDir(), "out"))
	t.Setenv("CODE", "3")
	err := Run(context.Background(), testRoot(), "hello", "unix:///x.sock", []string{"hello"}, false)
	var exit ExitError
	if !errors.As(err, &exit) || exit.Code != 3 {
		t.Errorf("Run() = %v, want ExitError{3}", err)
	}
}

func TestRunOfMissingOrInvalidPluginIsNotFound(t *testing.T) {
	setup(t, map[string]string{"docker-novend": script(`{"SchemaVersion":"0.1.0"}`)}, nil)
	for _, name := range []string{"nosuchplugin", "novend", "Bad"} {
		err := Run(context.Background(), testRoot(), name, "unix:///x.sock", []string{name}, false)
		if !IsNotFound(err) {
			t.Errorf("Run(%q) = %v, want a not-found error", name, err)
		}
	}
}

func TestEnvSetsDockerHostAndDropsContext(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"empty", nil, []string{"DOCKER_HOST=unix:///t.sock"}},
		{"replaces", []string{"A=1", "DOCKER_HOST=tcp://x:2375", "DOCKER_CONTEXT=c", "B=2"}, []string{"A=1", "B=2", "DOCKER_HOST=unix:///t.sock"}},
		{"keeps lookalikes", []string{"DOCKER_HOSTNAME=h"}, []string{"DOCKER_HOSTNAME=h", "DOCKER_HOST=unix:///t.sock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Env(tt.env, "unix:///t.sock")); diff != "" {
				t.Errorf("Env() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddStubsAnnotatesPlugins(t *testing.T) {
	setup(t, map[string]string{
		"docker-hello":  script(validMeta),
		"docker-novend": script(`{"SchemaVersion":"0.1.0"}`),
	}, nil)
	root := testRoot()
	if err := AddStubs(root); err != nil {
		t.Fatal(err)
	}
	if err := AddStubs(root); err != nil { // twice adds nothing twice
		t.Fatal(err)
	}
	n := 0
	for _, c := range root.Commands() {
		switch c.Name() {
		case "hello":
			n++
			if !IsStub(c) || Invalid(c) != "" || c.Short != "Say hello" {
				t.Errorf("hello stub: stub %v, invalid %q, short %q", IsStub(c), Invalid(c), c.Short)
			}
		case "novend":
			if Invalid(c) != "plugin metadata does not define a vendor" {
				t.Errorf("novend stub: invalid %q", Invalid(c))
			}
		case "ps":
			if IsStub(c) {
				t.Error("ps is a built-in command, not a plugin")
			}
		}
	}
	if n != 1 {
		t.Errorf("hello stubs: %d, want 1", n)
	}
}
