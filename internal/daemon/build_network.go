package daemon

import (
	"context"
	"fmt"
	"os"

	apicontainer "github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/errdefs"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/oci"
)

// buildNetwork is the networking of one RUN step: the namespace it runs
// in and the hosts and resolv.conf bind-mounted into it.
type buildNetwork struct {
	opt    oci.SpecOpt
	hosts  []byte
	resolv []byte
}

// setupBuildNetwork gives the RUN step's container id the network of
// mode, POST /build's networkmode: the default bridge ("", "default",
// "bridge"), a user network by name or ID, "host", "none" (loopback only)
// or "container:<name|id>", as `docker run --network` would.
//
// On a bridge network the step gets a sandbox of its own, recorded in the
// network state under id like a container's (so IPAM sees its address,
// and a daemon that crashed mid-step drops it in reconcileNetwork, as it
// belongs to no container), with a veth and a namespace made by the same
// code as a container's. The returned teardown removes all of it; call it
// on every path once the step's process is gone. On error nothing is left
// and teardown is a no-op.
func (d *Daemon) setupBuildNetwork(ctx context.Context, id, mode string) (buildNetwork, func(), error) {
	noop := func() {}
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	hostname := id[:12]
	private := buildNetwork{hosts: tugnet.Hosts(nil), resolv: tugnet.ResolvConf(hostResolv, tugnet.ResolvConfOptions{})}
	host := func() buildNetwork {
		bn := buildNetwork{opt: oci.WithHostNetwork(), hosts: tugnet.Hosts(nil), resolv: hostResolv}
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			bn.hosts = b
		}
		return bn
	}
	switch nm := apicontainer.NetworkMode(mode); {
	case nm.IsHost():
		return host(), noop, nil
	case nm.IsNone():
		private.opt = oci.WithNetworkNone()
		return private, noop, nil
	case nm.IsContainer():
		opt, err := d.joinContainerNetwork(nm.ConnectedContainer(), id)
		if err != nil {
			return buildNetwork{}, noop, err
		}
		private.opt = opt
		return private, noop, nil
	case mode == "", mode == "default":
		mode = tugnet.DefaultNetwork
	}

	var nw tugnet.Network
	var err error
	d.net.store.View(func(st *tugnet.State) {
		var n *tugnet.Network
		if n, err = st.Network(mode); err == nil {
			nw = *n
		}
	})
	if err != nil {
		return buildNetwork{}, noop, err
	}
	switch {
	case nw.Driver == "host":
		return host(), noop, nil
	case nw.Bridge == "": // "none", by ID
		private.opt = oci.WithNetworkNone()
		return private, noop, nil
	}

	nsPath := d.netnsPath(id)
	var sb tugnet.Sandbox
	var nets map[string]tugnet.Network
	var user bool
	err = d.net.store.Update(func(st *tugnet.State) error {
		if st.Networks[nw.ID] == nil {
			return errdefs.NotFound("network %s not found", mode)
		}
		s := &tugnet.Sandbox{ContainerID: id, Hostname: hostname, Endpoints: []*tugnet.Endpoint{{NetworkID: nw.ID}}}
		var err error
		if nets, err = allocateSandbox(st, s, nsPath); err != nil {
			return err
		}
		st.Sandboxes[id] = s
		user = onUserNetwork(st, s)
		sb = *s
		return nil
	})
	if err != nil {
		return buildNetwork{}, noop, err
	}
	teardown := func() { d.removeSandbox(context.WithoutCancel(ctx), id) }
	ok := false
	defer func() {
		if !ok {
			teardown()
		}
	}()
	if err := d.plugSandbox(&sb, nets); err != nil {
		return buildNetwork{}, noop, err
	}
	bn := buildNetwork{
		opt:    oci.WithNetNSPath(nsPath),
		hosts:  tugnet.Hosts(sandboxHostsEntries(&sb, hostname)),
		resolv: private.resolv,
	}
	if user {
		if err := d.startDNS(id, nsPath, hostNameservers()); err != nil {
			return buildNetwork{}, noop, fmt.Errorf("embedded DNS: %w", err)
		}
		bn.resolv = embeddedResolvConf(nil, nil)
	}
	ok = true
	return bn, teardown, nil
}
