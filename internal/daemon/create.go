package daemon

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/api/compat"
	"github.com/tug-project/tug/internal/bundle"
	"github.com/tug-project/tug/internal/confine"
	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/health"
	"github.com/tug-project/tug/internal/image"
	"github.com/tug-project/tug/internal/logger"
	"github.com/tug-project/tug/internal/network/controller"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/resources"
	"github.com/tug-project/tug/internal/stringid"
	"github.com/tug-project/tug/internal/trace"
	"github.com/tug-project/tug/internal/volume"
)

// ContainerCreate creates a container from an image: it resolves the image,
// merges its config with the request, reserves the name, prepares the
// rootfs snapshot and the container's files. On error nothing is left.
func (d *Daemon) ContainerCreate(ctx context.Context, name string, req *apicontainer.CreateRequest) (apicontainer.CreateResponse, error) {
	if req == nil || req.Config == nil {
		return apicontainer.CreateResponse{}, errdefs.InvalidParameter("Config cannot be empty in order to create a container")
	}
	if hc := req.HostConfig; hc != nil && hc.UTSMode != "" && !hc.UTSMode.IsHost() {
		// Docker's modes; the CRI's pods also join a UTS namespace.
		return apicontainer.CreateResponse{}, errdefs.InvalidParameter("invalid UTS mode: %v", hc.UTSMode)
	}
	if hc := req.HostConfig; hc != nil {
		if err := controller.ValidateSharedNetwork(req.Config, hc); err != nil {
			return apicontainer.CreateResponse{}, err
		}
	}
	if l, ok := container.ReservedLabel(req.Config.Labels); ok {
		return apicontainer.CreateResponse{}, errdefs.InvalidParameter("label %s: labels under %s are reserved for containers of the CRI (Kubernetes pods)", l, container.CRILabelPrefix)
	}
	return d.create(ctx, name, req)
}

// create is ContainerCreate for both APIs; req.Config is set.
func (d *Daemon) create(ctx context.Context, name string, req *apicontainer.CreateRequest) (apicontainer.CreateResponse, error) {
	if err := compat.ContainerCreate(req); err != nil { // fields tug does not implement
		return apicontainer.CreateResponse{}, err
	}
	cfg := req.Config
	hc := req.HostConfig
	if hc == nil {
		hc = &apicontainer.HostConfig{}
	}
	name = strings.TrimPrefix(name, "/")
	if name != "" && !container.ValidName(name) {
		return apicontainer.CreateResponse{}, errdefs.InvalidParameter("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	if cfg.Image == "" {
		return apicontainer.CreateResponse{}, errdefs.InvalidParameter("no image specified")
	}
	// A CRI container logs in the CRI's format to the kubelet's path.
	criLog, hasCRILog := "", container.IsCRI(cfg.Labels) && hc.LogConfig.Type == logger.CRIDriver
	if hasCRILog {
		criLog, hc.LogConfig = hc.LogConfig.Config["path"], apicontainer.LogConfig{}
	}
	if err := validateHostConfig(hc, d.logDriver(), d.cfg.LogOpts); err != nil {
		return apicontainer.CreateResponse{}, err
	}
	if d.cfg.Remap != nil {
		if err := confine.ValidateRemapped(hc); err != nil {
			return apicontainer.CreateResponse{}, err
		}
	}
	if hasCRILog {
		hc.LogConfig = apicontainer.LogConfig{Type: logger.CRIDriver, Config: map[string]string{"path": criLog}}
	}
	if err := d.validateNetworkMode(hc); err != nil {
		return apicontainer.CreateResponse{}, err
	}
	if err := health.Validate(cfg.Healthcheck); err != nil {
		return apicontainer.CreateResponse{}, errdefs.InvalidParameter("%s", err.Error())
	}
	warnings, err := resources.Validate(hc, resources.ThisHost())
	if err != nil {
		return apicontainer.CreateResponse{}, err
	}
	img, err := d.images.Get(ctx, cfg.Image)
	if err != nil {
		return apicontainer.CreateResponse{}, err
	}
	merged, err := mergeConfig(cfg, img)
	if err != nil {
		return apicontainer.CreateResponse{}, err
	}

	mps, err := d.planMounts(hc, merged.Volumes)
	if err != nil {
		return apicontainer.CreateResponse{}, err
	}

	id := stringid.New()
	if name == "" {
		// Held for id until it is added: concurrent creates never pick
		// the same name.
		name = d.containers.ReserveName(id)
		defer d.containers.ReleaseName(name, id) // a no-op once added
	}
	if merged.Hostname == "" {
		if hc.NetworkMode.IsHost() || hc.UTSMode.IsHost() {
			merged.Hostname, _ = os.Hostname()
		} else {
			merged.Hostname = id[:12]
		}
	}
	if hc.NetworkMode == "" || hc.NetworkMode == "default" {
		hc.NetworkMode = "bridge"
	}
	if err := d.resolveLinks(name, hc, &req.NetworkingConfig); err != nil {
		return apicontainer.CreateResponse{}, err
	}
	c := container.New(id, name, time.Now().UTC())
	c.Config = merged
	c.HostConfig = hc
	c.ImageID = img.ID
	c.Path, c.Args = entrypointAndArgs(merged.Entrypoint, merged.Cmd)
	c.Driver = "overlay2"
	switch {
	case hasCRILog:
		c.LogPath = criLog
	case hc.LogConfig.Type == logger.DriverJSONFile:
		c.LogPath = filepath.Join(d.containers.Dir(id), id+"-json.log")
	} // the none driver keeps no log: no path, as in Docker
	c.MountPoints = mps

	// A --rm container is made without fsyncs: a machine crash ends it
	// anyway, and what it leaves is removed at start (New).
	add, prepare := d.containers.Add, d.snapshots.Prepare
	if hc.AutoRemove {
		add, prepare = d.containers.AddUnsynced, d.snapshots.PrepareEphemeral
	}
	endAdd := trace.Span("create/store")
	err = add(c)
	endAdd()
	if err != nil {
		return apicontainer.CreateResponse{}, err
	}
	createdVolumes, err := d.acquireVolumes(c)
	if err != nil {
		_ = d.containers.Remove(c)
		return apicontainer.CreateResponse{}, err
	}
	// A create that fails leaves no container and no volume it made
	// (named ones made on first use included).
	undo := func() {
		_ = d.snapshots.Remove(context.WithoutCancel(ctx), id)
		_ = d.containers.Remove(c)
		d.releaseVolumes(ctx, c, true)
		for _, n := range createdVolumes {
			if err := d.volumes.Remove(n, false); err == nil {
				d.volumeEvent(apievents.ActionDestroy, n, nil)
			}
		}
	}
	endSnap := trace.Span("create/snapshot")
	_, err = prepare(ctx, id, img.ChainID)
	endSnap()
	if err != nil {
		undo()
		return apicontainer.CreateResponse{}, fmt.Errorf("preparing rootfs: %w", err)
	}
	if err := d.writeEtcFiles(c); err != nil {
		undo()
		return apicontainer.CreateResponse{}, err
	}
	endNet := trace.Span("create/network")
	err = d.net.AddSandbox(c, req.NetworkingConfig)
	endNet()
	if err != nil {
		undo()
		return apicontainer.CreateResponse{}, err
	}
	d.events.Publish(apievents.ContainerEventType, apievents.ActionCreate, id, d.containerAttrs(c))
	if warnings == nil {
		warnings = []string{}
	}
	return apicontainer.CreateResponse{ID: id, Warnings: warnings}, nil
}

// writeEtcFiles writes the hostname, hosts and resolv.conf files that are
// bind-mounted into the container.
func (d *Daemon) writeEtcFiles(c *container.Container) error {
	hosts, resolv := d.net.EtcFiles(c)
	return d.bundle(c.ID).WriteEtc(bundle.Etc{Hostname: []byte(c.Config.Hostname + "\n"), Hosts: hosts, ResolvConf: resolv})
}

func validateHostConfig(hc *apicontainer.HostConfig, logDriver string, logDefaults map[string]string) error {
	if err := volume.Validate(hc); err != nil {
		return err
	}
	// json-file and none are the log drivers; a container that names none
	// gets the daemon's (daemon.json log-driver), and inspect shows it like
	// Docker's (docker-py reads it to decide whether it can fetch logs).
	if hc.LogConfig.Type == "" {
		hc.LogConfig.Type = logDriver
	}
	if err := logger.ValidateDriver(hc.LogConfig.Type); err != nil {
		return errdefs.InvalidParameter("%s", err)
	}
	if hc.LogConfig.Config == nil {
		hc.LogConfig.Config = map[string]string{}
	}
	// daemon.json log-opts fill what the container leaves out, as in
	// Docker, when it uses the daemon's driver.
	if hc.LogConfig.Type == logDriver {
		for k, v := range logDefaults {
			if _, ok := hc.LogConfig.Config[k]; !ok {
				hc.LogConfig.Config[k] = v
			}
		}
	}
	if hc.LogConfig.Type == logger.DriverNone {
		if err := logger.NoOptions(hc.LogConfig.Config); err != nil {
			return errdefs.InvalidParameter("%s", err)
		}
	}
	if _, err := logger.ParseOptions(hc.LogConfig.Config); err != nil {
		return errdefs.InvalidParameter("%s", err)
	}
	rp := hc.RestartPolicy
	switch rp.Name {
	case "", apicontainer.RestartPolicyDisabled, apicontainer.RestartPolicyAlways, apicontainer.RestartPolicyUnlessStopped:
		if rp.MaximumRetryCount != 0 {
			return errdefs.InvalidParameter("invalid restart policy: maximum retry count can only be used with 'on-failure'")
		}
	case apicontainer.RestartPolicyOnFailure:
		if rp.MaximumRetryCount < 0 {
			return errdefs.InvalidParameter("invalid restart policy: maximum retry count cannot be negative")
		}
	default:
		return errdefs.InvalidParameter("invalid restart policy: unknown policy '%s'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'", rp.Name)
	}
	if hc.AutoRemove && rp.Name != "" && rp.Name != apicontainer.RestartPolicyDisabled {
		return errdefs.InvalidParameter("can't create 'AutoRemove' container with restart policy")
	}
	// Capabilities, seccomp, devices, namespaces, sysctls, --init, userns.
	return confine.Validate(hc, confine.Probe())
}

// mergeConfig fills the request's config with the image's defaults, the way
// Docker does.
func mergeConfig(req *apicontainer.Config, img *image.Image) (*apicontainer.Config, error) {
	c := *req
	ic := img.Config.Config
	c.Env = oci.MergeEnv(ic.Env, req.Env)
	entrypointCleared := len(c.Entrypoint) == 1 && c.Entrypoint[0] == ""
	if entrypointCleared {
		c.Entrypoint = nil
	}
	if len(c.Entrypoint) == 0 {
		if len(c.Cmd) == 0 {
			c.Cmd = slices.Clone(ic.Cmd)
		}
		if !entrypointCleared && c.Entrypoint == nil {
			c.Entrypoint = slices.Clone(ic.Entrypoint)
		}
	}
	if len(c.Entrypoint) == 0 && len(c.Cmd) == 0 {
		return nil, errdefs.InvalidParameter("no command specified")
	}
	if c.WorkingDir == "" {
		c.WorkingDir = ic.WorkingDir
	}
	if c.User == "" {
		c.User = ic.User
	}
	if c.StopSignal == "" {
		c.StopSignal = ic.StopSignal
	}
	if len(ic.Labels) > 0 || len(req.Labels) > 0 {
		labels := maps.Clone(ic.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, req.Labels)
		c.Labels = labels
	}
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	if len(ic.ExposedPorts) > 0 {
		if c.ExposedPorts == nil {
			c.ExposedPorts = network.PortSet{}
		}
		for p := range ic.ExposedPorts {
			if port, err := network.ParsePort(p); err == nil {
				c.ExposedPorts[port] = struct{}{}
			}
		}
	}
	if len(ic.Volumes) > 0 {
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		for v := range ic.Volumes {
			c.Volumes[v] = struct{}{}
		}
	}
	if c.Healthcheck == nil && ic.Healthcheck != nil {
		hc := *ic.Healthcheck
		c.Healthcheck = &hc
	}
	if len(c.Shell) == 0 {
		c.Shell = slices.Clone(ic.Shell)
	}
	return &c, nil
}

func entrypointAndArgs(entrypoint, cmd []string) (string, []string) {
	all := append(slices.Clone(entrypoint), cmd...)
	if len(all) == 0 {
		return "", nil
	}
	return all[0], all[1:]
}
