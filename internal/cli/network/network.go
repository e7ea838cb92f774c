package network

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/format"
	"github.com/tug-project/tug/internal/cli/opts"
)

// NewCommand returns the `network` management command.
func NewCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Manage networks",
		Args:  command.NoArgs,
		RunE:  command.ShowHelp(c),
	}
	cmd.AddCommand(newCreateCommand(c), newLsCommand(c), newInspectCommand(c), newRmCommand(c),
		newPruneCommand(c), newConnectCommand(c), newDisconnectCommand(c))
	return cmd
}

func newCreateCommand(c *command.Cli) *cobra.Command {
	var driver, subnet, gateway, ipRange string
	var internal, ipv6 bool
	var labels, options []string
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := client.NetworkCreateOptions{Driver: driver, Internal: internal, Labels: kvMap(labels),
				Options: kvMap(options)}
			if ipv6 {
				o.EnableIPv6 = &ipv6
			}
			if subnet != "" || gateway != "" || ipRange != "" {
				cfg := network.IPAMConfig{}
				if subnet != "" {
					p, err := netip.ParsePrefix(subnet)
					if err != nil {
						return fmt.Errorf("invalid subnet %s: %w", subnet, err)
					}
					cfg.Subnet = p
				}
				if gateway != "" {
					a, err := netip.ParseAddr(gateway)
					if err != nil {
						return fmt.Errorf("invalid gateway %s: %w", gateway, err)
					}
					cfg.Gateway = a
				}
				if ipRange != "" {
					p, err := netip.ParsePrefix(ipRange)
					if err != nil {
						return fmt.Errorf("invalid ip-range %s: %w", ipRange, err)
					}
					cfg.IPRange = p
				}
				o.IPAM = &network.IPAM{Driver: "default", Config: []network.IPAMConfig{cfg}}
			}
			res, err := c.Client().NetworkCreate(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), res.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&driver, "driver", "d", "bridge", "Driver to manage the Network")
	f.StringVar(&subnet, "subnet", "", "Subnet in CIDR format that represents a network segment")
	f.StringVar(&gateway, "gateway", "", "IPv4 or IPv6 Gateway for the master subnet")
	f.StringVar(&ipRange, "ip-range", "", "Allocate container ip from a sub-range")
	f.BoolVar(&internal, "internal", false, "Restrict external access to the network")
	f.BoolVar(&ipv6, "ipv6", false, "Enable or disable IPv6 networking")
	f.Var(opts.NewList(&labels, "list"), "label", "Set metadata on a network")
	f.VarP(opts.NewList(&options, "map"), "opt", "o", "Set driver specific options")
	return cmd
}

// Row is one line of `network ls`.
type Row struct {
	N     network.Summary
	trunc bool
}

func (r Row) ID() string {
	if r.trunc {
		return format.TruncateID(r.N.ID)
	}
	return r.N.ID
}
func (r Row) Name() string      { return r.N.Name }
func (r Row) Driver() string    { return r.N.Driver }
func (r Row) Scope() string     { return r.N.Scope }
func (r Row) IPv6() string      { return fmt.Sprint(r.N.EnableIPv6) }
func (r Row) IPv4() string      { return fmt.Sprint(r.N.EnableIPv4) }
func (r Row) Internal() string  { return fmt.Sprint(r.N.Internal) }
func (r Row) CreatedAt() string { return r.N.Created.Format("2006-01-02 15:04:05 -0700 MST") }
func (r Row) Labels() string {
	var kv []string
	for k, v := range r.N.Labels {
		kv = append(kv, k+"="+v)
	}
	return strings.Join(kv, ",")
}
func (r Row) Label(name string) string { return r.N.Labels[name] }

var header = format.HeaderContext{"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
	"IPv6": "IPV6", "IPv4": "IPV4", "Internal": "INTERNAL", "CreatedAt": "CREATED AT", "Labels": "LABELS"}

func newLsCommand(c *command.Cli) *cobra.Command {
	var quiet, noTrunc bool
	var fmtStr string
	var filters []string
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := opts.Filters(filters)
			if err != nil {
				return err
			}
			res, err := c.Client().NetworkList(cmd.Context(), client.NetworkListOptions{Filters: f})
			if err != nil {
				return err
			}
			rows := make([]any, 0, len(res.Items))
			for _, n := range res.Items {
				rows = append(rows, Row{N: n, trunc: !noTrunc})
			}
			fs := fmtStr
			switch {
			case quiet:
				fs = "{{.ID}}"
			case fs == "" || fs == format.TableFormatKey:
				fs = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
			case fs == format.JSONFormatKey:
				fs = format.JSONFormat
			}
			return format.Context{Output: c.Out(), Format: format.Format(fs), Trunc: !noTrunc}.Write(header, rows)
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display network IDs")
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "Do not truncate the output")
	cmd.Flags().StringVar(&fmtStr, "format", "", format.ListFormatHelp)
	cmd.Flags().VarP(opts.NewList(&filters, "filter"), "filter", "f", "Provide filter values (e.g. \"driver=bridge\")")
	return cmd
}

func newInspectCommand(c *command.Cli) *cobra.Command {
	var fmtStr string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return command.Inspect(cmd.Context(), c, fmtStr, args, func(ctx context.Context, ref string) (any, []byte, error) {
				res, err := c.Client().NetworkInspect(ctx, ref, client.NetworkInspectOptions{})
				if err != nil {
					return nil, nil, err
				}
				return res.Network, res.Raw, nil
			})
		},
	}
	cmd.Flags().StringVarP(&fmtStr, "format", "f", "", format.InspectFormatHelp)
	return cmd
}

func newRmCommand(c *command.Cli) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var failed bool
			for _, n := range args {
				if _, err := c.Client().NetworkRemove(cmd.Context(), n, client.NetworkRemoveOptions{}); err != nil {
					if force && strings.Contains(err.Error(), "not found") {
						continue
					}
					fmt.Fprintln(c.Err(), err)
					failed = true
					continue
				}
				fmt.Fprintln(c.Out(), n)
			}
			if failed {
				return command.StatusError{StatusCode: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not error if the network does not exist")
	return cmd
}

func newPruneCommand(c *command.Cli) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !force {
				fmt.Fprint(c.Out(), "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ")
				var answer string
				_, _ = fmt.Fscanln(c.In(), &answer)
				if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
					return nil
				}
			}
			f, err := opts.Filters(filters)
			if err != nil {
				return err
			}
			res, err := c.Client().NetworkPrune(cmd.Context(), client.NetworkPruneOptions{Filters: f})
			if err != nil {
				return err
			}
			if len(res.Report.NetworksDeleted) > 0 {
				fmt.Fprintln(c.Out(), "Deleted Networks:")
				for _, n := range res.Report.NetworksDeleted {
					fmt.Fprintln(c.Out(), n)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().Var(opts.NewList(&filters, "filter"), "filter", "Provide filter values (e.g. \"until=<timestamp>\")")
	return cmd
}

func newConnectCommand(c *command.Cli) *cobra.Command {
	var aliases, linkLocal, lks []string
	var ip, ip6 string
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			es, err := opts.EndpointSettings(aliases, ip, ip6, linkLocal, "")
			if err != nil {
				return err
			}
			es.Links = lks
			_, err = c.Client().NetworkConnect(cmd.Context(), args[0], client.NetworkConnectOptions{Container: args[1], EndpointConfig: es})
			return err
		},
	}
	cmd.Flags().Var(opts.NewList(&aliases, "list"), "alias", "Add network-scoped alias for the container")
	cmd.Flags().StringVar(&ip, "ip", "", "IPv4 address (e.g., \"172.30.100.104\")")
	cmd.Flags().StringVar(&ip6, "ip6", "", "IPv6 address (e.g., \"2001:db8::33\")")
	cmd.Flags().Var(opts.NewList(&linkLocal, "list"), "link-local-ip", "Add a link-local address for the container")
	cmd.Flags().Var(opts.NewList(&lks, "list"), "link", "Add link to another container")
	return cmd
}

func newDisconnectCommand(c *command.Cli) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := c.Client().NetworkDisconnect(cmd.Context(), args[0], client.NetworkDisconnectOptions{Container: args[1], Force: force})
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the container to disconnect from a network")
	return cmd
}

func kvMap(kvs []string) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
