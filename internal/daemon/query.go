package daemon

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/storage"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/health"
	"github.com/tug-project/tug/internal/oci"
)

// ContainerInspect returns Docker's inspect document of a container.
func (d *Daemon) ContainerInspect(ctx context.Context, ref string) (*apicontainer.InspectResponse, error) {
	c, err := d.lookup(ref)
	if err != nil {
		return nil, err
	}
	c.Lock()
	defer c.Unlock()
	st := c.State
	cfg := *c.Config
	if len(cfg.Volumes) == 0 {
		cfg.Volumes = nil // Docker's null
	}
	hc := *c.HostConfig
	if hc.Runtime == "" {
		hc.Runtime = "runc" // the one runtime, as info's DefaultRuntime says
	}
	if !hc.Privileged {
		// What the container gets when the request named none (confine), as
		// Docker records it at create.
		if hc.MaskedPaths == nil {
			hc.MaskedPaths = slices.Clone(oci.DefaultMaskedPaths)
		}
		if hc.ReadonlyPaths == nil {
			hc.ReadonlyPaths = slices.Clone(oci.DefaultReadonlyPaths)
		}
	}
	resp := &apicontainer.InspectResponse{
		ID:      c.ID,
		Created: c.Created.Format(time.RFC3339Nano),
		Path:    c.Path,
		Args:    nonNil(c.Args),
		State: &apicontainer.State{
			Status:     st.Status,
			Running:    st.Running,
			Paused:     st.Paused,
			Restarting: st.Restarting,
			OOMKilled:  st.OOMKilled,
			Dead:       st.Dead,
			Pid:        st.Pid,
			ExitCode:   st.ExitCode,
			Error:      st.Error,
			StartedAt:  timeString(st.StartedAt),
			FinishedAt: timeString(st.FinishedAt),
			Health:     health.Copy(st.Health),
		},
		Image:           c.ImageID.String(),
		ResolvConfPath:  filepath.Join(d.etcDirOf(c), "resolv.conf"),
		HostnamePath:    filepath.Join(d.etcDirOf(c), "hostname"),
		HostsPath:       filepath.Join(d.etcDirOf(c), "hosts"),
		LogPath:         c.LogPath,
		Name:            "/" + c.Name,
		RestartCount:    c.RestartCount,
		Driver:          c.Driver,
		Platform:        "linux",
		HostConfig:      &hc,
		GraphDriver:     d.graphDriver(c.ID),
		Mounts:          d.mountPoints(c),
		Config:          &cfg,
		NetworkSettings: d.net.Settings(c),
		ExecIDs:         d.execIDs(c.ID),
	}
	return resp, nil
}

// graphDriver is the container's GraphDriver: its overlay dirs as Docker's
// overlay2 driver names them.
func (d *Daemon) graphDriver(id string) *storage.DriverData {
	data, err := d.snapshots.ContainerDirs(id)
	if err != nil {
		data = map[string]string{}
	}
	data["MergedDir"] = d.bundle(id).Rootfs()
	return &storage.DriverData{Name: "overlay2", Data: data}
}

// ContainerList returns the containers `ps` shows.
func (d *Daemon) ContainerList(ctx context.Context, opts backend.ContainerListOptions) ([]apicontainer.Summary, error) {
	f, err := container.NewFilter(opts.Filters)
	if err != nil {
		return nil, err
	}
	f.Ancestor = d.isAncestor
	all := d.containers.List() // newest first
	var before, since time.Time
	for _, key := range []string{"before", "since"} {
		for _, ref := range f.Values(key) {
			c, err := d.lookup(ref)
			if err != nil {
				return nil, errdefs.InvalidParameter("no such container %s", ref)
			}
			if key == "before" {
				before = c.Created
			} else {
				since = c.Created
			}
		}
	}
	// CRI containers show only to a label filter under their prefix.
	showCRI := slices.ContainsFunc(opts.Filters.Get("label"), func(l string) bool { return strings.HasPrefix(l, container.CRILabelPrefix) })
	now := time.Now()
	out := []apicontainer.Summary{}
	for _, c := range all {
		c.Lock()
		include := opts.All || c.State.Running || c.State.Status == apicontainer.StateRestarting ||
			f.Has("status") || f.Has("exited") || opts.Limit > 0
		if include && (!before.IsZero() && !c.Created.Before(before) || !since.IsZero() && !c.Created.After(since)) {
			include = false
		}
		if include && (showCRI || !container.IsCRI(c.Config.Labels)) && f.Match(c) {
			out = append(out, d.summary(c, now, opts.Size))
		}
		c.Unlock()
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
	}
	return out, nil
}

func (d *Daemon) summary(c *container.Container, now time.Time, size bool) apicontainer.Summary {
	s := apicontainer.Summary{
		ID:              c.ID,
		Names:           []string{"/" + c.Name},
		Image:           c.Config.Image,
		ImageID:         c.ImageID.String(),
		Command:         container.CommandLine(c.Path, c.Args),
		Created:         c.Created.Unix(),
		Ports:           d.net.PortSummaries(c),
		Labels:          c.Config.Labels,
		State:           c.State.Status,
		Status:          c.State.Describe(now),
		Mounts:          d.mountPoints(c),
		NetworkSettings: &apicontainer.NetworkSettingsSummary{Networks: d.net.SummaryNetworks(c)},
	}
	s.HostConfig.NetworkMode = string(c.HostConfig.NetworkMode)
	if h := c.State.Health; h != nil {
		s.Health = &apicontainer.HealthSummary{Status: h.Status, FailingStreak: h.FailingStreak}
	}
	if size {
		s.SizeRw = d.snapshots.Usage(c.ID)
		if img, err := d.images.Get(context.Background(), s.ImageID); err == nil {
			s.SizeRootFs = s.SizeRw + img.Size
		}
	}
	return s
}

// isAncestor reports whether c runs the image ref names.
func (d *Daemon) isAncestor(c *container.Container, ref string) bool {
	img, err := d.images.Get(context.Background(), ref)
	if err != nil {
		return false
	}
	return img.ID == c.ImageID
}

// containerAttrs are the event attributes Docker sends for a container.
func (d *Daemon) containerAttrs(c *container.Container) map[string]string {
	attrs := map[string]string{"name": c.Name, "image": c.Config.Image}
	for k, v := range c.Config.Labels {
		attrs[k] = v
	}
	return attrs
}

// etcDirOf is the directory of the /etc files c has: its own, or with
// --network container:X, X's (see start).
func (d *Daemon) etcDirOf(c *container.Container) string {
	if m := c.HostConfig.NetworkMode; m.IsContainer() {
		if other, err := d.lookup(m.ConnectedContainer()); err == nil {
			return d.containers.Dir(other.ID)
		}
	}
	return d.containers.Dir(c.ID)
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
