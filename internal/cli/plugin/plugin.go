package plugin

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/containerd/errdefs"
	"github.com/docker/cli/cli-plugins/manager"
	"github.com/docker/cli/cli-plugins/metadata"
	"github.com/docker/cli/cli-plugins/socket"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/spf13/cobra"
)

// Plugin is an installed plugin: its metadata, path, and Err when the
// candidate failed one of the docker CLI's checks.
type Plugin = manager.Plugin

// configProvider reads config.json from the client configuration directory
// (--config, DOCKER_CONFIG or ~/.docker) each time, for cliPluginsExtraDirs.
type configProvider struct{}

func (configProvider) ConfigFile() *configfile.ConfigFile {
	return config.LoadDefaultConfigFile(io.Discard)
}

// List returns the plugins installed for root (a plugin named like one of
// root's commands is listed with Err set), sorted by name.
func List(root *cobra.Command) ([]Plugin, error) {
	return manager.ListPlugins(configProvider{}, root)
}

// IsNotFound reports whether err from Run means there is no usable plugin of
// that name, so the command is unknown.
func IsNotFound(err error) bool { return errdefs.IsNotFound(err) }

// ExitError is a plugin's non-zero exit status.
type ExitError struct{ Code int }

func (e ExitError) Error() string { return "plugin exited with status " + strconv.Itoa(e.Code) }

// Run runs plugin name as the docker CLI does: `docker-<name> ARGS...` where
// ARGS are all of tug's arguments (global options included), its standard
// streams tug's, the environment tug's with DOCKER_HOST set to host (the
// daemon tug talks to; DOCKER_CONTEXT is dropped, since it would win over
// DOCKER_HOST and tug has no contexts) and the docker CLI's plugin variables.
// When ctx ends (SIGINT or SIGTERM) the plugin socket is closed, which tells
// the plugin to stop; a second signal kills it. A non-zero exit is an
// ExitError; a missing or invalid plugin satisfies IsNotFound.
func Run(ctx context.Context, root *cobra.Command, name, host string, args []string, terminal bool) error {
	saved := os.Args
	os.Args = append([]string{saved[0]}, args...)
	cmd, err := manager.PluginRunCommand(configProvider{}, name, root)
	os.Args = saved
	if err != nil {
		return err
	}
	cmd.Env = Env(cmd.Env, host)
	srv, err := socket.NewPluginServer(nil)
	if err == nil {
		cmd.Env = append(cmd.Env, socket.EnvKey+"="+srv.Addr().String())
		defer srv.Close()
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	defer close(done)
	go stopOnSignal(ctx, done, cmd, srv, terminal)
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code := 1
			if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.ExitStatus() > 0 {
				code = ws.ExitStatus()
			}
			return ExitError{Code: code}
		}
		return err
	}
	return nil
}

// stopOnSignal asks the plugin to stop when ctx ends (a terminal has already
// sent the signal to the plugin, which shares its process group), and kills
// it at the next SIGINT or SIGTERM.
func stopOnSignal(ctx context.Context, done <-chan struct{}, cmd *exec.Cmd, srv *socket.PluginServer, terminal bool) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	if !terminal && srv != nil {
		_ = srv.Close()
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case <-done:
	case <-sigs:
		_ = cmd.Process.Kill()
	}
}

// Env is the plugin's environment: env with DOCKER_HOST=host in place of
// any DOCKER_HOST or DOCKER_CONTEXT it had.
func Env(env []string, host string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, "DOCKER_HOST=") || strings.HasPrefix(kv, "DOCKER_CONTEXT=")
	})
	return append(out, "DOCKER_HOST="+host)
}

// AddStubs adds to root a command for each installed plugin, annotated as
// the docker CLI annotates them (plugin, vendor, version, and the reason an
// invalid one is unusable), so that help lists them. The stubs never run a
// plugin: Run does, before the command line reaches cobra.
func AddStubs(root *cobra.Command) error {
	plugins, err := List(root)
	if err != nil {
		return err
	}
	for _, p := range plugins {
		if c, _, err := root.Find([]string{p.Name}); err == nil && c != root {
			continue // already added
		}
		vendor := p.Vendor
		if vendor == "" {
			vendor = "unknown"
		}
		ann := map[string]string{
			metadata.CommandAnnotationPlugin:        "true",
			metadata.CommandAnnotationPluginVendor:  vendor,
			metadata.CommandAnnotationPluginVersion: p.Version,
		}
		if p.Err != nil {
			ann[metadata.CommandAnnotationPluginInvalid] = p.Err.Error()
		}
		root.AddCommand(&cobra.Command{
			Use:                p.Name,
			Short:              p.ShortDescription,
			Hidden:             p.Hidden,
			Annotations:        ann,
			DisableFlagParsing: true,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return errors.New("tug: unknown command: tug " + cmd.Name() + "\n\nRun 'tug --help' for more information")
			},
		})
	}
	return nil
}

// IsStub reports whether cmd is a plugin's help entry.
func IsStub(cmd *cobra.Command) bool {
	return cmd.Annotations[metadata.CommandAnnotationPlugin] == "true"
}

// Invalid is the reason the plugin behind stub cmd cannot be used ("" if it can).
func Invalid(cmd *cobra.Command) string {
	return cmd.Annotations[metadata.CommandAnnotationPluginInvalid]
}
