package container

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"

	"github.com/tug-project/tug/internal/cli/opts"
)

// Pull policies for --pull.
const (
	PullMissing = "missing"
	PullAlways  = "always"
	PullNever   = "never"
)

// containerOptions are the flags shared by run and create.
type containerOptions struct {
	attach      []string
	env         []string
	envFile     []string
	labels      []string
	labelFile   []string
	entrypoint  string
	hostname    string
	user        string
	workdir     string
	network     string
	restart     string
	stopSignal  string
	stopTimeout int
	stdin       bool
	tty         bool
	autoRemove  bool
	init        bool
	privileged  bool
	logDriver   string
	logOpts     []string
	volumes     []string        // -v SRC:DST[:MODE], passed to the daemon as is
	tmpfs       []string        // --tmpfs DST[:OPTIONS]
	mounts      []string        // --mount type=...,target=...
	volumesFrom []string        // --volumes-from CTR[:ro|rw]
	readOnly    bool            // --read-only
	net         networkOptions  // netopts.go
	sec         securityOptions // secopts.go

	name     string
	pull     string
	platform string
	quiet    bool

	image string
	args  []string

	res    resourceOptions // resopts.go
	health healthOptions   // healthopts.go
}

func addContainerFlags(flags *pflag.FlagSet, o *containerOptions) {
	flags.SetInterspersed(false)
	flags.VarP(opts.NewList(&o.attach, "list"), "attach", "a", "Attach to STDIN, STDOUT or STDERR")
	flags.VarP(opts.NewList(&o.env, "list"), "env", "e", "Set environment variables")
	flags.Var(opts.NewList(&o.envFile, "list"), "env-file", "Read in a file of environment variables")
	flags.VarP(opts.NewList(&o.volumes, "list"), "volume", "v", "Bind mount a volume")
	flags.Var(opts.NewList(&o.tmpfs, "list"), "tmpfs", "Mount a tmpfs directory")
	flags.Var(opts.NewList(&o.mounts, "mount"), "mount", "Attach a filesystem mount to the container")
	flags.Var(opts.NewList(&o.volumesFrom, "list"), "volumes-from", "Mount volumes from the specified container(s)")
	flags.BoolVar(&o.readOnly, "read-only", false, "Mount the container's root filesystem as read only")
	flags.VarP(opts.NewList(&o.labels, "list"), "label", "l", "Set meta data on a container")
	flags.Var(opts.NewList(&o.labelFile, "list"), "label-file", "Read in a line delimited file of labels")
	flags.StringVar(&o.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	flags.StringVarP(&o.hostname, "hostname", "h", "", "Container host name")
	flags.StringVarP(&o.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	flags.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	flags.StringVar(&o.network, "network", "", "Connect a container to a network")
	flags.StringVar(&o.network, "net", "", "Connect a container to a network")
	_ = flags.MarkHidden("net")
	flags.StringVar(&o.restart, "restart", "no", "Restart policy to apply when a container exits")
	flags.StringVar(&o.stopSignal, "stop-signal", "", "Signal to stop the container")
	flags.IntVar(&o.stopTimeout, "stop-timeout", 0, "Timeout (in seconds) to stop a container")
	flags.BoolVarP(&o.stdin, "interactive", "i", false, "Keep STDIN open even if not attached")
	flags.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	flags.BoolVar(&o.autoRemove, "rm", false, "Automatically remove the container and its associated anonymous volumes when it exits")
	flags.BoolVar(&o.init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
	flags.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to this container")
	flags.StringVar(&o.logDriver, "log-driver", "", "Logging driver for the container")
	flags.Var(opts.NewList(&o.logOpts, "list"), "log-opt", "Log driver options")

	addNetworkFlags(flags, &o.net)
	addResourceFlags(flags, &o.res)
	addSecurityFlags(flags, &o.sec)
	addHealthFlags(flags, &o.health)
	flags.StringVar(&o.name, "name", "", "Assign a name to the container")
	flags.StringVar(&o.pull, "pull", PullMissing, `Pull image before running ("always", "missing", "never")`)
	flags.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress the pull output")
	flags.StringVar(&o.platform, "platform", os.Getenv("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
	// An explicit --help without -h, which is --hostname here.
	flags.Bool("help", false, "Print usage")
}

// containerConfig is what POST /containers/create takes.
type containerConfig struct {
	Config           *container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *network.NetworkingConfig
	Platform         *ocispec.Platform
}

// parse turns the flags into the create request. lookupEnv resolves bare
// -e KEY values (os.LookupEnv in the CLI).
func parse(flags *pflag.FlagSet, o *containerOptions, lookupEnv func(string) (string, bool)) (*containerConfig, error) {
	switch o.pull {
	case PullMissing, PullAlways, PullNever:
	default:
		return nil, fmt.Errorf("invalid pull option: '%s': must be one of %q, %q or %q", o.pull, PullAlways, PullMissing, PullNever)
	}
	var attachStdin, attachStdout, attachStderr bool
	for _, a := range o.attach {
		switch strings.ToLower(a) {
		case "stdin":
			attachStdin = true
		case "stdout":
			attachStdout = true
		case "stderr":
			attachStderr = true
		default:
			return nil, fmt.Errorf("invalid argument %q for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR", a)
		}
	}
	if o.stdin {
		attachStdin = true
	}
	if len(o.attach) == 0 {
		attachStdout = true
		attachStderr = true
	}

	env, err := opts.ReadEnv(o.envFile, o.env, lookupEnv)
	if err != nil {
		return nil, err
	}
	labels, err := opts.ReadLabels(o.labelFile, o.labels)
	if err != nil {
		return nil, err
	}
	restart, err := opts.RestartPolicy(o.restart)
	if err != nil {
		return nil, err
	}
	platform, err := opts.Platform(o.platform)
	if err != nil {
		return nil, err
	}

	var entrypoint []string
	if flags.Changed("entrypoint") {
		if o.entrypoint == "" {
			entrypoint = []string{""}
		} else {
			entrypoint = []string{o.entrypoint}
		}
	}

	cfg := &container.Config{
		Hostname:     o.hostname,
		User:         o.user,
		Tty:          o.tty,
		OpenStdin:    o.stdin,
		AttachStdin:  attachStdin,
		AttachStdout: attachStdout,
		AttachStderr: attachStderr,
		Env:          env,
		Cmd:          o.args,
		Image:        o.image,
		Entrypoint:   entrypoint,
		WorkingDir:   o.workdir,
		Labels:       labels,
	}
	if flags.Changed("stop-signal") {
		cfg.StopSignal = o.stopSignal
	}
	if flags.Changed("stop-timeout") {
		t := o.stopTimeout
		cfg.StopTimeout = &t
	}
	if cfg.OpenStdin && cfg.AttachStdin {
		cfg.StdinOnce = true
	}
	if cfg.Healthcheck, err = o.health.config(); err != nil {
		return nil, err
	}

	netMode := o.network
	if netMode == "" {
		netMode = "default"
	}
	hc := &container.HostConfig{
		AutoRemove:    o.autoRemove,
		Privileged:    o.privileged,
		NetworkMode:   container.NetworkMode(netMode),
		RestartPolicy: restart,
		DNS:           []netip.Addr{},
		DNSSearch:     []string{},
		DNSOptions:    []string{},
	}
	if o.autoRemove && restart.Name != "" && restart.Name != container.RestartPolicyDisabled {
		return nil, fmt.Errorf("conflicting options: cannot specify both --restart and --rm")
	}
	if flags.Changed("init") {
		v := o.init
		hc.Init = &v
	}
	// As docker/cli does: "-v /ctr" is an anonymous volume in
	// Config.Volumes, anything with a source is a bind in HostConfig.Binds.
	for _, v := range o.volumes {
		if !strings.Contains(v, ":") {
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			cfg.Volumes[v] = struct{}{}
			continue
		}
		hc.Binds = append(hc.Binds, v)
	}
	for _, v := range o.mounts {
		m, err := opts.ParseMount(v)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--mount\" flag: %w", v, err)
		}
		hc.Mounts = append(hc.Mounts, m)
	}
	hc.VolumesFrom = o.volumesFrom
	hc.ReadonlyRootfs = o.readOnly
	for _, t := range o.tmpfs {
		dst, options, _ := strings.Cut(t, ":")
		if hc.Tmpfs == nil {
			hc.Tmpfs = map[string]string{}
		}
		hc.Tmpfs[dst] = options
	}
	if err := o.res.apply(flags, hc); err != nil {
		return nil, err
	}
	if hc.LogConfig, err = logConfig(o.logDriver, o.logOpts); err != nil {
		return nil, err
	}
	if err := applySecurityOptions(&o.sec, hc); err != nil {
		return nil, err
	}
	nc := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
	if err := applyNetworkOptions(&o.net, cfg, hc, nc); err != nil {
		return nil, err
	}
	return &containerConfig{
		Config:           cfg,
		HostConfig:       hc,
		NetworkingConfig: nc,
		Platform:         platform,
	}, nil
}

// logConfig maps --log-driver and --log-opt k=v to HostConfig.LogConfig
// (docker/cli's parseLoggingOpts: a bare key has an empty value; the
// daemon validates the rest).
func logConfig(driver string, kvs []string) (container.LogConfig, error) {
	lc := container.LogConfig{Type: driver}
	if len(kvs) == 0 {
		return lc, nil
	}
	if driver == "none" {
		return lc, fmt.Errorf("invalid logging opts for driver %s", driver)
	}
	lc.Config = map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		lc.Config[k] = v
	}
	return lc, nil
}
