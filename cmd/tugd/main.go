// Command tugd is tug's daemon: it serves the Docker Engine API on a unix
// socket and owns images and containers. The same binary is re-executed as
// each container's shim (`tugd shim`) and as the container init (`tugd init`).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	archiverouter "github.com/tug-project/tug/internal/api/router/archive"
	buildrouter "github.com/tug-project/tug/internal/api/router/build"
	"github.com/tug-project/tug/internal/api/router/container"
	execrouter "github.com/tug-project/tug/internal/api/router/exec"
	"github.com/tug-project/tug/internal/api/router/image"
	networkrouter "github.com/tug-project/tug/internal/api/router/network"
	pluginrouter "github.com/tug-project/tug/internal/api/router/plugin"
	registryrouter "github.com/tug-project/tug/internal/api/router/registry"
	swarmrouter "github.com/tug-project/tug/internal/api/router/swarm"
	"github.com/tug-project/tug/internal/api/router/system"
	volumerouter "github.com/tug-project/tug/internal/api/router/volume"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/daemon"
	"github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/runtime"
	"github.com/tug-project/tug/internal/userns"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

type options struct {
	hosts       []string
	dataRoot    string
	execRoot    string
	configFile  string
	debug       bool
	network     daemon.NetworkConfig
	mirrors     []string          // registry-mirrors
	insecure    []string          // insecure-registries
	logOpts     map[string]string // log-opts
	init        bool              // init
	usernsRemap string            // userns-remap
}

// fileConfig is the part of daemon.json tugd reads (Docker's keys).
type fileConfig struct {
	Hosts    []string       `json:"hosts"`
	DataRoot string         `json:"data-root"`
	ExecRoot string         `json:"exec-root"`
	Debug    bool           `json:"debug"`
	Bip      string         `json:"bip"`
	Pools    []network.Pool `json:"default-address-pools"`

	RegistryMirrors    []string `json:"registry-mirrors"`
	InsecureRegistries []string `json:"insecure-registries"`

	LogOpts map[string]string `json:"log-opts"`

	Init        bool   `json:"init"`
	UsernsRemap string `json:"userns-remap"`
	LiveRestore *bool  `json:"live-restore"` // always on: true is accepted, false refused
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "shim" {
		os.Exit(runtime.ShimMain(os.Args[2:]))
	}
	opts := options{}
	cmd := &cobra.Command{
		Use:           "tugd [OPTIONS]",
		Short:         "tug's daemon: serves the Docker Engine API on a unix socket",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfigFile(cmd, &opts); err != nil {
				return err
			}
			return run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&opts.hosts, "host", "H", []string{"unix:///run/tug/tug.sock"}, "Daemon socket to listen on")
	f.StringVar(&opts.dataRoot, "data-root", "/var/lib/tug", "Root directory of persistent state")
	f.StringVar(&opts.execRoot, "exec-root", "/run/tug", "Root directory of runtime state (sockets, shims)")
	f.StringVar(&opts.configFile, "config-file", "/etc/tug/daemon.json", "Daemon configuration file")
	f.BoolVarP(&opts.debug, "debug", "D", false, "Enable debug logging")

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "tugd:", err)
		os.Exit(1)
	}
}

// applyConfigFile fills the options not given as flags from daemon.json.
func applyConfigFile(cmd *cobra.Command, opts *options) error {
	b, err := os.ReadFile(opts.configFile)
	if errors.Is(err, os.ErrNotExist) && !cmd.Flags().Changed("config-file") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var fc fileConfig
	if err := json.Unmarshal(b, &fc); err != nil {
		return fmt.Errorf("config file %s: %w", opts.configFile, err)
	}
	if err := checkConfigKeys(b); err != nil {
		return fmt.Errorf("config file %s: %w", opts.configFile, err)
	}
	if fc.LiveRestore != nil && !*fc.LiveRestore {
		return fmt.Errorf("config file %s: live-restore: containers always outlive tugd (their shims do); it cannot be turned off", opts.configFile)
	}
	flags := cmd.Flags()
	if len(fc.Hosts) > 0 && !flags.Changed("host") {
		opts.hosts = fc.Hosts
	}
	if fc.DataRoot != "" && !flags.Changed("data-root") {
		opts.dataRoot = fc.DataRoot
	}
	if fc.ExecRoot != "" && !flags.Changed("exec-root") {
		opts.execRoot = fc.ExecRoot
	}
	if fc.Debug {
		opts.debug = true
	}
	opts.network = daemon.NetworkConfig{Bip: fc.Bip, Pools: fc.Pools}
	opts.mirrors, opts.insecure = fc.RegistryMirrors, fc.InsecureRegistries
	opts.logOpts = fc.LogOpts
	opts.init = fc.Init
	opts.usernsRemap = fc.UsernsRemap
	return nil
}

func run(ctx context.Context, opts options) error {
	level := slog.LevelInfo
	if opts.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	var err error

	var remap *userns.Remap
	if opts.usernsRemap != "" {
		if remap, err = userns.Setup(opts.usernsRemap, userns.System); err != nil {
			return fmt.Errorf("userns-remap %q: %w", opts.usernsRemap, err)
		}
		if remap == nil {
			log.Warn("User namespaces: root cannot be remapped with itself; user namespaces are OFF")
		} else {
			log.Info("User namespaces: ID ranges will be mapped to subuid/subgid ranges of: " + remap.User)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	d, err := daemon.New(ctx, daemon.Config{
		Root:        opts.dataRoot,
		ExecRoot:    opts.execRoot,
		ShimBinary:  self,
		HelloBinary: filepath.Join(filepath.Dir(self), "tug-hello"),
		Version:     version,
		Debug:       opts.debug,
		Network:     opts.network,

		RegistryMirrors:    opts.mirrors,
		InsecureRegistries: opts.insecure,
		LogOpts:            opts.logOpts,
		Init:               opts.init,
		Remap:              remap,
	})
	if err != nil {
		return err
	}
	defer d.Close()

	srv := server.New(server.Config{Logger: log, Version: version},
		system.New(d), container.New(d), image.New(d), execrouter.New(d), archiverouter.New(d), registryrouter.New(d), buildrouter.New(d), networkrouter.New(d), volumerouter.New(d),
		swarmrouter.New(), pluginrouter.New())
	errc := make(chan error, len(opts.hosts))
	for _, h := range opts.hosts {
		path, ok := strings.CutPrefix(h, "unix://")
		if !ok {
			return fmt.Errorf("unsupported host %q: only unix:// sockets are served", h)
		}
		l, err := server.Listen(path)
		if err != nil {
			return err
		}
		defer os.Remove(path)
		log.Info("API listening", "socket", path)
		go func() { errc <- srv.Serve(ctx, l) }()
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down; containers keep running")
		<-errc
		return nil
	case err := <-errc:
		return err
	}
}

// checkConfigKeys refuses a daemon.json key tugd does not read (a key of
// Docker's it does not implement, or a misspelt one), naming them all,
// rather than starting without it.
func checkConfigKeys(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	known := map[string]bool{}
	t := reflect.TypeFor[fileConfig]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" {
			known[name] = true
		}
	}
	var unknown []string
	for k := range raw {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("the following directives are not supported by tugd: %s", strings.Join(unknown, ", "))
	}
	return nil
}
