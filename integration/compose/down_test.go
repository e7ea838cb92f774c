package compose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
	"github.com/tug-project/tug/internal/network/portmap"
)

// TestDownRemovesEverything: down -v removes the containers, the networks
// with their bridges, the named volume and every published-port rule in
// tugd's nftables table, in the order Compose prints against Docker.
func TestDownRemovesEverything(t *testing.T) {
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startStack(t, cli)
			s.up("--scale", "web=2")
			p := s.project
			ctx := context.Background()
			table, _ := tugnet.KernelNames(s.ExecRoot)
			rules, err := portmap.Rules(table)
			if err != nil || rules["prerouting"] == 0 {
				t.Fatalf("published ports in %s: %v (%v)", table, rules, err)
			}
			var bridges []string
			for _, n := range []string{p + "_front", p + "_back"} {
				res, err := s.Client.NetworkInspect(ctx, n, client.NetworkInspectOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if b := res.Network.Options["com.docker.network.bridge.name"]; b != "" {
					bridges = append(bridges, b)
				} else {
					bridges = append(bridges, "tug-"+res.Network.ID[:11]) // tugd's name for a user network's bridge
				}
			}
			for _, b := range bridges {
				if !bridge.Exists(b) {
					t.Fatalf("bridge %s of the stack's networks not found", b)
				}
			}

			out := s.ok("down", "-v")
			hasLines(t, "down -v", out,
				"Container "+p+"-web-1 Removed", "Container "+p+"-web-2 Removed",
				"Container "+p+"-worker-1 Removed", "Container "+p+"-db-1 Removed",
				"Volume "+p+"_dbdata Removed",
				"Network "+p+"_front Removed", "Network "+p+"_back Removed")

			if cs := s.containers(); len(cs) != 0 {
				t.Errorf("containers left: %v", cs)
			}
			f := make(client.Filters).Add("label", "com.docker.compose.project="+p)
			nets, err := s.Client.NetworkList(ctx, client.NetworkListOptions{Filters: f})
			if err != nil || len(nets.Items) != 0 {
				t.Errorf("networks left: %v (%v)", nets.Items, err)
			}
			vols, err := s.Client.VolumeList(ctx, client.VolumeListOptions{})
			if err != nil || len(vols.Items) != 0 {
				t.Errorf("volumes left: %v (%v)", vols.Items, err)
			}
			if ents, _ := os.ReadDir(filepath.Join(s.Root, "volumes")); len(ents) != 0 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				if strings.Contains(strings.Join(names, " "), "dbdata") {
					t.Errorf("volume directories left: %v", names)
				}
			}
			for _, b := range bridges {
				if bridge.Exists(b) {
					t.Errorf("bridge %s left", b)
				}
			}
			rules, err = portmap.Rules(table)
			if err != nil {
				t.Fatal(err)
			}
			for _, chain := range []string{"prerouting", "output"} {
				if rules[chain] != 0 {
					t.Errorf("%d DNAT rules left in %s/%s", rules[chain], table, chain)
				}
			}
			if ents, _ := os.ReadDir(filepath.Join(s.ExecRoot, "netns")); len(ents) > 0 {
				t.Errorf("network namespaces left: %d", len(ents))
			}
		})
	}
}
