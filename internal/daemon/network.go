package daemon

import (
	"context"

	apicontainer "github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/api/compat"
	"github.com/tug-project/tug/internal/bundle"
	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/controller"
)

// Networking is internal/network/controller's; the daemon resolves and
// locks containers, calls the controller at create, start, exit, rm and
// restore, and hands the files it returns to the container's bundle.

// NetworkConfig is the networking part of daemon.json.
type NetworkConfig struct {
	Bip   string        // "bip": the default bridge's gateway address and subnet, 172.30.0.1/24
	Pools []tugnet.Pool // "default-address-pools"
	// "dns", "dns-search", "dns-opts": what containers and build steps get
	// where they name none of their own.
	DNS controller.DNSDefaults
}

// initNetwork starts the network controller.
func (d *Daemon) initNetwork(ctx context.Context) error {
	n, err := controller.New(ctx, controller.Config{Root: d.cfg.Root, ExecRoot: d.cfg.ExecRoot,
		Bip: d.cfg.Network.Bip, Pools: d.cfg.Network.Pools, Events: d.events, DNS: d.cfg.Network.DNS})
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

// attachNetwork gives c, about to start, its network: the spec option
// putting it in its namespace and the /etc files to rewrite. With
// --network container:X it also returns X, whose hostname and /etc files
// c shares, as in Docker. On error nothing is left.
func (d *Daemon) attachNetwork(ctx context.Context, c *container.Container) (controller.Attachment, *container.Container, error) {
	var joinNS string
	var joined *container.Container
	if m := c.HostConfig.NetworkMode; m.IsContainer() {
		var err error
		if joined, err = d.joinedContainer(m.ConnectedContainer(), c.ID); err != nil {
			return controller.Attachment{}, nil, err
		}
		joinNS = d.net.NetNSPath(joined)
	}
	lks, err := d.linksOf(c)
	if err != nil {
		return controller.Attachment{}, nil, err
	}
	att, err := d.net.Attach(ctx, c, joinNS, lks)
	return att, joined, err
}

// joinedContainer returns the running container ref whose network
// namespace container (or build step) self joins.
func (d *Daemon) joinedContainer(ref, self string) (*container.Container, error) {
	other, err := d.lookup(ref)
	if err != nil {
		return nil, err
	}
	if other.ID == self {
		return nil, errdefs.InvalidParameter("cannot join own network")
	}
	// The other container's lock is not taken: its ID and pid are
	// stable while it runs, and reading them racily only risks a
	// clear error.
	if t := d.task(other.ID); t == nil {
		return nil, errdefs.Conflict("cannot join network of a non running container: %s", other.ID)
	}
	return other, nil
}

// setupBuildNetwork gives the RUN step's container id the network of
// mode, POST /build's networkmode (see controller.AttachBuild). The
// returned teardown removes it; call it on every path once the step's
// process is gone. On error nothing is left and teardown is a no-op.
func (d *Daemon) setupBuildNetwork(ctx context.Context, id, mode string, extraHosts []string) (controller.Attachment, func(), error) {
	var joinNS string
	if nm := apicontainer.NetworkMode(mode); nm.IsContainer() {
		other, err := d.joinedContainer(nm.ConnectedContainer(), id)
		if err != nil {
			return controller.Attachment{}, func() {}, err
		}
		joinNS = d.net.NetNSPath(other)
	}
	return d.net.AttachBuild(ctx, id, mode, joinNS, extraHosts)
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
	if err := compat.NetworkCreate(&req); err != nil { // fields tug does not implement
		return network.CreateResponse{}, err
	}
	return d.net.Create(ctx, req)
}

// NetworkRemove removes a network no running container uses.
func (d *Daemon) NetworkRemove(ctx context.Context, ref string) error {
	return d.net.Delete(ctx, ref)
}

// NetworkPrune removes the user networks no running container uses.
func (d *Daemon) NetworkPrune(ctx context.Context, filters map[string][]string) (network.PruneReport, error) {
	rep, err := d.net.Prune(ctx, filters)
	if err == nil {
		d.events.Publish(apievents.NetworkEventType, apievents.ActionPrune, "", map[string]string{"reclaimed": "0"})
	}
	return rep, err
}

// NetworkConnect attaches a container to a network, at once if it runs.
func (d *Daemon) NetworkConnect(ctx context.Context, ref, ctr string, cfg *network.EndpointSettings) error {
	if err := compat.NetworkConnect(&network.ConnectRequest{Container: ctr, EndpointConfig: cfg}); err != nil { // fields tug does not implement
		return err
	}
	c, err := d.lookup(ctr)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	resolv, err := d.net.Connect(ctx, ref, c, cfg)
	if err != nil || resolv == nil {
		return err
	}
	return d.bundle(c.ID).WriteEtc(bundle.Etc{ResolvConf: resolv})
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
