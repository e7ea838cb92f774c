package container

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
)

func newPortCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  command.RequiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := c.Client().ContainerInspect(cmd.Context(), args[0], client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			var ports network.PortMap
			if res.Container.NetworkSettings != nil {
				ports = res.Container.NetworkSettings.Ports
			}
			lines, err := portLines(ports, args[0], args[1:])
			if err != nil {
				return err
			}
			for _, l := range lines {
				fmt.Fprintln(c.Out(), l)
			}
			return nil
		},
	}
}

// portLines renders `port` output: "80/tcp -> 0.0.0.0:8080" for every
// binding, or just "0.0.0.0:8080" for the bindings of one asked port.
func portLines(ports network.PortMap, name string, filter []string) ([]string, error) {
	if len(filter) == 1 {
		spec := filter[0]
		if !strings.Contains(spec, "/") {
			spec += "/tcp"
		}
		p, err := network.ParsePort(spec)
		if err != nil {
			return nil, err
		}
		bs := ports[p]
		if len(bs) == 0 {
			return nil, fmt.Errorf("Error: No public port '%s' published for %s", p, name)
		}
		var out []string
		for _, b := range bs {
			out = append(out, net.JoinHostPort(b.HostIP.String(), b.HostPort))
		}
		return out, nil
	}
	keys := make([]network.Port, 0, len(ports))
	for p := range ports {
		keys = append(keys, p)
	}
	slices.SortFunc(keys, func(a, b network.Port) int {
		return cmp.Or(cmp.Compare(a.Num(), b.Num()), cmp.Compare(a.Proto(), b.Proto()))
	})
	var out []string
	for _, p := range keys {
		for _, b := range ports[p] {
			out = append(out, fmt.Sprintf("%s -> %s", p, net.JoinHostPort(b.HostIP.String(), b.HostPort)))
		}
	}
	return out, nil
}
