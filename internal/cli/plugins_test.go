package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config"

	"github.com/tug-project/tug/internal/cli/command"
)

// withPlugins points the client configuration at a folder whose
// cli-plugins hold a valid plugin "hello" (it writes its arguments and
// DOCKER_HOST to $OUT and exits with $CODE) and an invalid one "novend".
func withPlugins(t *testing.T) {
	t.Helper()
	cfg := t.TempDir()
	dir := filepath.Join(cfg, "cli-plugins")
	plugins := map[string]string{
		"docker-hello":  `{"SchemaVersion":"0.1.0","Vendor":"Test","ShortDescription":"Say hello"}`,
		"docker-novend": `{"SchemaVersion":"0.1.0"}`,
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, meta := range plugins {
		body := "#!/bin/sh\nif [ \"$1\" = docker-cli-plugin-metadata ]; then echo '" + meta + "'; exit 0; fi\n" +
			"echo \"$* $DOCKER_HOST\" >\"$OUT\"; exit ${CODE:-0}\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	saved := config.Dir()
	config.SetDir(cfg)
	t.Cleanup(func() { config.SetDir(saved) })
	t.Setenv("TUG_HOST", "unix:///run/test/tug.sock")
}

func execute(args ...string) (string, error) {
	var out bytes.Buffer
	root, c := NewRootCommand(io.NopCloser(strings.NewReader("")), &out, &out)
	defer c.Close()
	err := Execute(context.Background(), root, c, args)
	return out.String(), err
}

func TestHelpListsInstalledPlugins(t *testing.T) {
	withPlugins(t)
	out, err := execute("--help")
	if err != nil {
		t.Fatalf("tug --help: %v", err)
	}
	for _, want := range []string{
		"Management Commands:\n",
		"  hello*      Say hello\n",
		"Invalid Plugins:\n  novend      plugin metadata does not define a vendor\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tug --help lacks %q:\n%s", want, out)
		}
	}
}

func TestUnknownCommandRunsThePluginOfThatName(t *testing.T) {
	withPlugins(t)
	outFile := filepath.Join(t.TempDir(), "out")
	t.Setenv("OUT", outFile)
	if _, err := execute("-D", "hello", "up", "-d", "--build"); err != nil {
		t.Fatalf("tug hello: %v", err)
	}
	b, _ := os.ReadFile(outFile)
	if got, want := string(b), "-D hello up -d --build unix:///run/test/tug.sock\n"; got != want {
		t.Errorf("plugin saw %q, want %q", got, want)
	}

	if _, err := execute("help", "hello"); err != nil {
		t.Fatalf("tug help hello: %v", err)
	}
	b, _ = os.ReadFile(outFile)
	if got, want := string(b), "help hello unix:///run/test/tug.sock\n"; got != want {
		t.Errorf("tug help hello: plugin saw %q, want %q", got, want)
	}

	t.Setenv("CODE", "7")
	_, err := execute("hello")
	var st command.StatusError
	if !errors.As(err, &st) || st.StatusCode != 7 {
		t.Errorf("tug hello exiting 7: %v, want StatusError 7", err)
	}
}

func TestUnknownCommandWithoutPluginIsDockersError(t *testing.T) {
	withPlugins(t)
	for _, name := range []string{"nosuch", "novend"} {
		_, err := execute(name, "x")
		want := "tug: unknown command: tug " + name + "\n\nRun 'tug --help' for more information"
		if err == nil || err.Error() != want {
			t.Errorf("tug %s x = %v, want %q", name, err, want)
		}
	}
}
