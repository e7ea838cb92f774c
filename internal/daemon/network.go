package daemon

import (
	"context"
	"os"
	"path/filepath"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/controller"
	"github.com/tug-project/tug/internal/oci"
)

// Networking is internal/network/controller's; the daemon resolves and
// locks containers, calls the controller at create, start, exit, rm and
// restore, and writes the files it returns into the container's dir.

// NetworkConfig is the networking part of daemon.json.
type NetworkConfig struct {
	Bip   string        // "bip": the default bridge's gateway address and subnet, 172.30.0.1/24
	Pools []tugnet.Pool // "default-address-pools"
}

// initNetwork starts the network controller.
func (d *Daemon) initNetwork(ctx context.Context) error {
	n, err := controller.New(ctx, controller.Config{Root: d.cfg.Root, ExecRoot: d.cfg.ExecRoot,
		Bip: d.cfg.Network.Bip, Pools: d.cfg.Network.Pools, Events: d.events})
	if err != nil {
		return err
	}
	d.net = n
	return nil
}

// reconcileNetwork runs after restore, when the daemon knows which
// containers run.
func (d *Daemon) reconcileNetwork(ctx context.Context) {
	running := map[string]bool{}
	for _, c := range d.containers.List() {
		if d.task(c.ID) != nil {
			running[c.ID] = true
		}
	}
	d.net.Reconcile(ctx, running, d.containers)
}

// validateNetworkMode checks the network mode of a new container.
func (d *Daemon) validateNetworkMode(hc *apicontainer.HostConfig) error {
	if m := hc.NetworkMode; m.IsContainer() {
		if _, err := d.lookup(m.ConnectedContainer()); err != nil {
			return err
		}
	}
	return d.net.ValidateMode(hc)
}

// setupNetwork gives c, about to start, its network and rewrites its
// hosts and (on user networks) resolv.conf in place. On error the
// network is undone.
func (d *Daemon) setupNetwork(ctx context.Context, c *container.Container) error {
	a, err := d.net.Attach(ctx, c)
	if err != nil {
		return err
	}
	dir := d.containers.Dir(c.ID)
	for _, f := range []struct {
		name string
		body []byte
	}{{"hosts", a.Hosts}, {"resolv.conf", a.ResolvConf}} {
		if f.body == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), f.body, 0o644); err != nil {
			d.net.Detach(ctx, c.ID)
			return err
		}
	}
	return nil
}

// networkOpt returns the spec option putting c in its network namespace.
func (d *Daemon) networkOpt(c *container.Container) (oci.SpecOpt, error) {
	var joinNS string
	if m := c.HostConfig.NetworkMode; m.IsContainer() {
		var err error
		if joinNS, err = d.joinedNetNS(m.ConnectedContainer(), c.ID); err != nil {
			return nil, err
		}
	}
	return d.net.SpecOpt(c.ID, c.HostConfig.NetworkMode, joinNS), nil
}

// joinedNetNS returns the network namespace of the running container
// ref, for container (or build step) self to join.
func (d *Daemon) joinedNetNS(ref, self string) (string, error) {
	other, err := d.lookup(ref)
	if err != nil {
		return "", err
	}
	if other.ID == self {
		return "", errdefs.InvalidParameter("cannot join own network")
	}
	// The other container's lock is not taken: its ID and pid are
	// stable while it runs, and reading them racily only risks a
	// clear error.
	if t := d.task(other.ID); t == nil {
		return "", errdefs.Conflict("cannot join network of a non running container: %s", other.ID)
	}
	return d.net.NetNSPath(other), nil
}

// buildNetwork is the networking of one RUN step: the namespace it runs
// in and the hosts and resolv.conf bind-mounted into it.
type buildNetwork struct {
	opt    oci.SpecOpt
	hosts  []byte
	resolv []byte
}

// setupBuildNetwork gives the RUN step's container id the network of
// mode, POST /build's networkmode (see controller.AttachBuild). The
// returned teardown removes it; call it on every path once the step's
// process is gone. On error nothing is left and teardown is a no-op.
func (d *Daemon) setupBuildNetwork(ctx context.Context, id, mode string) (buildNetwork, func(), error) {
	var joinNS string
	if nm := apicontainer.NetworkMode(mode); nm.IsContainer() {
		var err error
		if joinNS, err = d.joinedNetNS(nm.ConnectedContainer(), id); err != nil {
			return buildNetwork{}, func() {}, err
		}
	}
	a, teardown, err := d.net.AttachBuild(ctx, id, mode, joinNS)
	if err != nil {
		return buildNetwork{}, teardown, err
	}
	return buildNetwork{opt: a.NetNS, hosts: a.Hosts, resolv: a.ResolvConf}, teardown, nil
}

// The network router's backend: GET/POST/DELETE /networks.

// NetworkList returns the networks matching filters.
func (d *Daemon) NetworkList(ctx context.Context, filters map[string][]string) ([]network.Summary, error) {
	return d.net.List(ctx, filters)
}

// NetworkInspect returns a network with its running containers.
func (d *Daemon) NetworkInspect(ctx context.Context, ref string) (network.Inspect, error) {
	return d.net.Inspect(ctx, ref)
}

// NetworkCreate creates a bridge network and its bridge.
func (d *Daemon) NetworkCreate(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error) {
	return d.net.Create(ctx, req)
}

// NetworkRemove removes a network no running container uses.
func (d *Daemon) NetworkRemove(ctx context.Context, ref string) error {
	return d.net.Delete(ctx, ref)
}

// NetworkPrune removes the user networks no running container uses.
func (d *Daemon) NetworkPrune(ctx context.Context, filters map[string][]string) (network.PruneReport, error) {
	return d.net.Prune(ctx, filters)
}

// NetworkConnect attaches a container to a network, at once if it runs.
func (d *Daemon) NetworkConnect(ctx context.Context, ref, ctr string, cfg *network.EndpointSettings) error {
	c, err := d.lookup(ctr)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	return d.net.Connect(ctx, ref, c, cfg)
}

// NetworkDisconnect detaches a container from a network.
func (d *Daemon) NetworkDisconnect(ctx context.Context, ref, ctr string, force bool) error {
	c, err := d.lookup(ctr)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	return d.net.Disconnect(ctx, ref, c, force)
}
