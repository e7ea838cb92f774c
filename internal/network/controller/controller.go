package controller

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"

	apievents "github.com/moby/moby/api/types/events"

	"github.com/tug-project/tug/internal/container"
	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
	"github.com/tug-project/tug/internal/network/dns"
	"github.com/tug-project/tug/internal/network/portmap"
)

// Config is how the controller is set up.
type Config struct {
	Root     string        // the data root: the durable state is Root/network/state.json
	ExecRoot string        // the runtime state is ExecRoot/network/state.json, namespaces are mounted under ExecRoot/netns; it picks the kernel names too
	Bip      string        // daemon.json "bip": the default bridge's gateway and subnet, 172.30.0.1/24
	Pools    []tugnet.Pool // daemon.json "default-address-pools"
	Events   Events        // where network events go
	// DNS is daemon.json's dns, dns-search and dns-opts: what containers
	// and build steps get where they name none of their own.
	DNS DNSDefaults
}

// Events receives the controller's network events (create, destroy,
// connect, disconnect).
type Events interface {
	Publish(typ apievents.Type, action apievents.Action, id string, attrs map[string]string)
}

// Containers finds containers by reference, as the daemon's store does.
type Containers interface {
	Get(ref string) (*container.Container, error)
}

// Controller is container networking: the persisted state, and the names
// of the kernel objects this daemon owns.
type Controller struct {
	store  *tugnet.Store
	events Events
	table  string // nftables table
	bridge string // the default bridge's interface
	nsDir  string // bind-mounted network namespaces
	pools  []tugnet.Pool
	bip    netip.Prefix

	applyMu    sync.Mutex      // one rules transaction at a time
	applied    *tugnet.Ruleset // what the table holds now
	dockerUser []string        // bridges accepted in Docker's DOCKER-USER chain

	vethWG sync.WaitGroup // background veth deletions

	netns *bridge.NetNSPool // namespaces made ahead for the next starts

	dnsMu sync.Mutex
	dns   map[string]*dns.Server // embedded resolvers by container ID

	dnsDefaults DNSDefaults
}

// New opens the network state and brings the kernel in line with it:
// bridges up, the default network present, rules applied. The daemon on
// the default exec root owns tug0 and table "tug"; one on another exec
// root (tests) gets names of its own, so daemons never share them.
func New(ctx context.Context, cfg Config) (*Controller, error) {
	st, err := tugnet.OpenStore(filepath.Join(cfg.Root, "network", "state.json"), filepath.Join(cfg.ExecRoot, "network", "state.json"))
	if err != nil {
		return nil, err
	}
	n := &Controller{store: st, events: cfg.Events, nsDir: filepath.Join(cfg.ExecRoot, "netns"), pools: cfg.Pools,
		dns: map[string]*dns.Server{}, dnsDefaults: cfg.DNS}
	n.table, n.bridge = tugnet.KernelNames(cfg.ExecRoot)
	if len(n.pools) == 0 {
		n.pools = tugnet.DefaultPools
	}
	if cfg.Bip != "" {
		if n.bip, err = netip.ParsePrefix(cfg.Bip); err != nil || !n.bip.Addr().Is4() {
			return nil, fmt.Errorf("invalid bip %q", cfg.Bip)
		}
	}
	routes, err := bridge.Routes(n.bridge)
	if err != nil {
		return nil, err
	}
	if err := n.store.Update(func(st *tugnet.State) error {
		return ensureDefaultNetworks(st, n.bridge, n.bip, n.pools, routes)
	}); err != nil {
		return nil, err
	}
	var nets []*tugnet.Network
	st.View(func(s *tugnet.State) {
		for _, nw := range s.Networks {
			cp := *nw
			nets = append(nets, &cp)
		}
	})
	for _, nw := range nets {
		if nw.Bridge == "" {
			continue
		}
		if err := bridge.EnsureBridge(nw.Bridge, nw.BridgeAddr(), nw.BridgeAddr6()); err != nil {
			return nil, fmt.Errorf("network %s: %w", nw.Name, err)
		}
	}
	if err := n.applyRules(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(n.nsDir, 0o755); err != nil {
		return nil, err
	}
	n.netns = bridge.NewNetNSPool(netnsPoolSize)
	return n, nil
}

// netnsPoolSize is how many network namespaces are made ahead: one for
// the next start, one for a second start that comes with it.
const netnsPoolSize = 2

// applyRules renders the current state into the nftables table.
func (n *Controller) applyRules() error {
	n.applyMu.Lock()
	defer n.applyMu.Unlock()
	rs := tugnet.Plan(n.store.Snapshot())
	if n.applied != nil && reflect.DeepEqual(*n.applied, rs) {
		return nil // most starts and exits publish nothing: no transaction
	}
	if err := portmap.Apply(n.table, rs); err != nil {
		n.applied = nil
		return err
	}
	n.applied = &rs
	var bridges []string
	for _, b := range rs.Bridges {
		bridges = append(bridges, b.Bridge)
	}
	if !slices.Equal(bridges, n.dockerUser) {
		if err := portmap.SyncDockerUser(n.table, bridges); err != nil {
			return fmt.Errorf("DOCKER-USER chain: %w", err)
		}
		n.dockerUser = bridges
	}
	return nil
}

// Reconcile runs once the daemon knows which containers run (after it
// reconnected to their shims): sandboxes of containers that no longer
// exist are forgotten, those of containers that do not run are torn down,
// the resolvers of running ones are started again, veths on tug's bridges
// and namespaces that belong to no running sandbox are removed, and the
// rules are re-applied.
func (n *Controller) Reconcile(ctx context.Context, running map[string]bool, ctrs Containers) {
	st := n.store.Snapshot()
	keepVeth := map[string]bool{}
	keepNS := map[string]bool{}
	for id, s := range st.Sandboxes {
		if _, err := ctrs.Get(id); err != nil {
			n.Forget(ctx, id)
			continue
		}
		if !running[id] {
			if s.NetNS != "" {
				n.Detach(ctx, id)
			}
			continue
		}
		keepNS[filepath.Base(s.NetNS)] = true
		if onUserNetwork(st, s) {
			// The resolver died with the previous daemon.
			if c, err := ctrs.Get(id); err == nil {
				if err := n.startDNS(c.ID, s.NetNS, upstreams(n.dnsConfig(c.HostConfig))); err != nil {
					slog.WarnContext(ctx, "restarting embedded DNS", "id", id, "err", err)
				}
			}
		}
		for _, e := range s.Endpoints {
			keepVeth[e.HostVeth] = true
		}
	}
	for _, nw := range st.Networks {
		veths, err := bridge.Veths(nw.Bridge)
		if err != nil {
			slog.WarnContext(ctx, "listing veths", "bridge", nw.Bridge, "err", err)
		}
		for _, v := range veths {
			if !keepVeth[v] {
				slog.InfoContext(ctx, "removing stale veth", "veth", v)
				_ = bridge.DeleteLink(v)
			}
		}
	}
	if ents, err := os.ReadDir(n.nsDir); err == nil {
		for _, e := range ents {
			if !keepNS[e.Name()] {
				slog.InfoContext(ctx, "removing stale network namespace", "netns", e.Name())
				_ = bridge.DeleteNetNS(filepath.Join(n.nsDir, e.Name()))
			}
		}
	}
	if err := n.applyRules(); err != nil {
		slog.WarnContext(ctx, "programming nftables", "err", err)
	}
}

// Close runs at a clean stop. Running containers keep their networking;
// when none runs, the bridges and the table are removed (they are made
// again at the next start), so no kernel state outlives the daemon
// without a reason.
func (n *Controller) Close(ctx context.Context) {
	n.netns.Close()
	n.stopAllDNS()
	n.vethWG.Wait()
	st := n.store.Snapshot()
	for _, s := range st.Sandboxes {
		if s.NetNS != "" {
			return
		}
	}
	for _, nw := range st.Networks {
		if nw.Bridge == "" {
			continue
		}
		if err := bridge.DeleteBridge(nw.Bridge); err != nil {
			slog.WarnContext(ctx, "deleting bridge", "bridge", nw.Bridge, "err", err)
		}
	}
	if err := portmap.SyncDockerUser(n.table, nil); err != nil {
		slog.WarnContext(ctx, "cleaning DOCKER-USER chain", "err", err)
	}
	if err := portmap.Delete(n.table); err != nil {
		slog.WarnContext(ctx, "deleting nftables table", "err", err)
	}
}
