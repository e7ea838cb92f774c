// Command tugd is tug's daemon: it serves the Docker Engine API on a unix
// socket and owns images and containers. Each container runs under its own
// shim, the tug-shim binary installed next to tugd (cmd/tug-shim), which
// becomes the tug-monitor binary (cmd/tug-monitor) once the container is
// created.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
	"github.com/tug-project/tug/internal/cri"
	"github.com/tug-project/tug/internal/cri/cni"
	"github.com/tug-project/tug/internal/daemon"
	"github.com/tug-project/tug/internal/network"
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
	cri         criConfig         // --cri-socket, --cni-*; daemon.json cri
	daemonExtra                   // the other daemon.json settings, passed as they are
}

// criConfig is daemon.json's "cri" object: the CRI socket (off when empty),
// where CNI's configuration and plugins are, and mirrors of registries
// (host -> mirror URLs, as containerd's CRI has them).
type criConfig struct {
	Socket          string              `json:"socket"`
	CNIConfDir      string              `json:"cni-conf-dir"`
	CNIBinDirs      []string            `json:"cni-bin-dirs"`
	RegistryMirrors map[string][]string `json:"registry-mirrors"`
	// StreamAddress is the host:port of the streaming server of exec,
	// attach and port-forward.
	StreamAddress string `json:"stream-address"`
}

// daemonExtra are daemon.json settings handed to the daemon unchanged.
type daemonExtra struct {
	logDriver      string
	labels         []string
	defaultUlimits []*apicontainer.Ulimit
	maxDownloads   int
	maxUploads     int
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

	LogOpts   map[string]string `json:"log-opts"`
	LogDriver string            `json:"log-driver"`
	Labels    []string          `json:"labels"`

	DNS        []string `json:"dns"`
	DNSSearch  []string `json:"dns-search"`
	DNSOptions []string `json:"dns-opts"`

	DefaultUlimits map[string]*apicontainer.Ulimit `json:"default-ulimits"`

	MaxConcurrentDownloads *int `json:"max-concurrent-downloads"`
	MaxConcurrentUploads   *int `json:"max-concurrent-uploads"`

	Init        bool   `json:"init"`
	UsernsRemap string `json:"userns-remap"`
	LiveRestore *bool  `json:"live-restore"` // always on: true is accepted, false refused

	CRI json.RawMessage `json:"cri"`
}

func main() {
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
	f.StringVar(&opts.cri.Socket, "cri-socket", "", "Serve the Kubernetes CRI on this socket (unix:///run/tug/cri.sock); off when empty")
	f.StringVar(&opts.cri.CNIConfDir, "cni-conf-dir", cni.DefaultConfDir, "CNI network configuration directory (CRI pods)")
	f.StringSliceVar(&opts.cri.CNIBinDirs, "cni-bin-dir", cni.DefaultBinDirs, "CNI plugin directories, searched in order (CRI pods)")
	f.StringVar(&opts.cri.StreamAddress, "cri-stream-address", cri.DefaultStreamAddress, "Address (host:port) of the CRI's streaming server (exec, attach, port-forward)")

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
	for _, a := range fc.DNS {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return fmt.Errorf("config file %s: dns: %q is not an IP address", opts.configFile, a)
		}
		opts.network.DNS.Servers = append(opts.network.DNS.Servers, ip)
	}
	opts.network.DNS.Search, opts.network.DNS.Options = fc.DNSSearch, fc.DNSOptions
	opts.logDriver, opts.labels = fc.LogDriver, fc.Labels
	for name, u := range fc.DefaultUlimits {
		if u == nil {
			continue
		}
		if u.Name == "" {
			u.Name = name
		}
		if u.Name != name {
			return fmt.Errorf("config file %s: default-ulimits: the ulimit under %q is named %q", opts.configFile, name, u.Name)
		}
		opts.defaultUlimits = append(opts.defaultUlimits, u)
	}
	slices.SortFunc(opts.defaultUlimits, func(a, b *apicontainer.Ulimit) int { return strings.Compare(a.Name, b.Name) })
	for key, v := range map[string]*int{"max-concurrent-downloads": fc.MaxConcurrentDownloads, "max-concurrent-uploads": fc.MaxConcurrentUploads} {
		if v != nil && *v < 1 {
			return fmt.Errorf("config file %s: %s: must be at least 1, not %d", opts.configFile, key, *v)
		}
	}
	if v := fc.MaxConcurrentDownloads; v != nil {
		opts.maxDownloads = *v
	}
	if v := fc.MaxConcurrentUploads; v != nil {
		opts.maxUploads = *v
	}
	opts.mirrors, opts.insecure = fc.RegistryMirrors, fc.InsecureRegistries
	opts.logOpts = fc.LogOpts
	opts.init = fc.Init
	opts.usernsRemap = fc.UsernsRemap
	if len(fc.CRI) > 0 {
		if err := applyCRIConfig(flags, fc.CRI, &opts.cri); err != nil {
			return fmt.Errorf("config file %s: cri: %w", opts.configFile, err)
		}
	}
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
	shim := filepath.Join(filepath.Dir(self), "tug-shim")
	if _, err := os.Stat(shim); err != nil {
		return fmt.Errorf("the shim binary: %w (tug-shim is built and installed next to tugd)", err)
	}
	monitor := filepath.Join(filepath.Dir(self), "tug-monitor")
	if _, err := os.Stat(monitor); err != nil {
		return fmt.Errorf("the shim's monitor binary: %w (tug-monitor is built and installed next to tugd)", err)
	}
	pauseBinary := "" // the pause image is made only where pods can run
	if opts.cri.Socket != "" {
		pauseBinary = filepath.Join(filepath.Dir(self), "tug-pause")
	}
	d, err := daemon.New(ctx, daemon.Config{
		Root:          opts.dataRoot,
		ExecRoot:      opts.execRoot,
		ShimBinary:    shim,
		MonitorBinary: monitor,
		HelloBinary:   filepath.Join(filepath.Dir(self), "tug-hello"),
		PauseBinary:   pauseBinary,
		Version:       version,
		Debug:         opts.debug,
		Network:       opts.network,

		RegistryMirrors:    opts.mirrors,
		HostMirrors:        opts.cri.RegistryMirrors,
		InsecureRegistries: opts.insecure,
		LogOpts:            opts.logOpts,
		Init:               opts.init,
		Remap:              remap,
		LogDriver:          opts.logDriver,
		Labels:             opts.labels,
		DefaultUlimits:     opts.defaultUlimits,
		MaxDownloads:       opts.maxDownloads,
		MaxUploads:         opts.maxUploads,
	})
	if err != nil {
		return err
	}
	defer d.Close()

	srv := server.New(server.Config{Logger: log, Version: version},
		system.New(d), container.New(d), image.New(d), execrouter.New(d), archiverouter.New(d), registryrouter.New(d), buildrouter.New(d), networkrouter.New(d), volumerouter.New(d),
		swarmrouter.New(), pluginrouter.New())
	errc := make(chan error, len(opts.hosts)+1)
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
	criCleanup, err := serveCRI(ctx, log, d, opts.cri, filepath.Join(opts.dataRoot, "cri"), errc)
	if err != nil {
		return err
	}
	defer criCleanup()
	// What the start-up allocated (restoring containers, images and
	// networks, the API's tables) is garbage now: given back at once
	// instead of staying in the RSS of an idle daemon.
	debug.FreeOSMemory()
	servers := len(opts.hosts)
	if opts.cri.Socket != "" {
		servers++
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down; containers keep running")
		for range servers {
			<-errc
		}
		return nil
	case err := <-errc:
		return err
	}
}

// applyCRIConfig reads daemon.json's "cri" object into c where no flag
// was given; a key it does not know is refused.
func applyCRIConfig(flags *pflag.FlagSet, raw json.RawMessage, c *criConfig) error {
	var fc criConfig
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return err
	}
	if fc.Socket != "" && !flags.Changed("cri-socket") {
		c.Socket = fc.Socket
	}
	if fc.CNIConfDir != "" && !flags.Changed("cni-conf-dir") {
		c.CNIConfDir = fc.CNIConfDir
	}
	if len(fc.CNIBinDirs) > 0 && !flags.Changed("cni-bin-dir") {
		c.CNIBinDirs = fc.CNIBinDirs
	}
	if fc.StreamAddress != "" && !flags.Changed("cri-stream-address") {
		c.StreamAddress = fc.StreamAddress
	}
	for host, urls := range fc.RegistryMirrors {
		if host == "" || strings.Contains(host, "/") {
			return fmt.Errorf("registry-mirrors: %q is not a registry host", host)
		}
		for _, m := range urls {
			if u, err := url.Parse(m); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
				return fmt.Errorf("registry-mirrors: %s: %q is not an http(s) URL of a registry", host, m)
			}
		}
	}
	c.RegistryMirrors = fc.RegistryMirrors
	return nil
}

// serveCRI starts the CRI server on its socket when one is configured.
func serveCRI(ctx context.Context, log *slog.Logger, d *daemon.Daemon, c criConfig, stateDir string, errc chan<- error) (cleanup func(), err error) {
	if c.Socket == "" {
		return func() {}, nil
	}
	l, path, err := cri.Listen(c.Socket)
	if err != nil {
		return nil, err
	}
	srv := cri.New(cri.Config{Version: version, Logger: log, CNIConfDir: c.CNIConfDir, CNIBinDirs: c.CNIBinDirs, StateDir: stateDir, StreamAddress: c.StreamAddress},
		d.CRIImages(), d.CRIContainers())
	log.Info("CRI listening", "socket", path)
	go func() { errc <- srv.Serve(ctx, l) }()
	return func() { os.Remove(path) }, nil
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
