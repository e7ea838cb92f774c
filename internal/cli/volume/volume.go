package volume

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/docker/go-units"
	apivolume "github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/format"
	"github.com/tug-project/tug/internal/cli/opts"
)

// NewCommand returns the `volume` management command.
func NewCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "volume COMMAND",
		Short: "Manage volumes",
		Args:  command.NoArgs,
		RunE:  command.ShowHelp(c),
	}
	cmd.AddCommand(newCreateCommand(c), newLsCommand(c), newInspectCommand(c), newRmCommand(c), newPruneCommand(c))
	return cmd
}

func newCreateCommand(c *command.Cli) *cobra.Command {
	var driver, name string
	var labels, options []string
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  command.RequiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if name != "" {
					return fmt.Errorf("conflicting options: cannot specify a volume-name through both --name and as a positional arg")
				}
				name = args[0]
			}
			res, err := c.Client().VolumeCreate(cmd.Context(), client.VolumeCreateOptions{
				Name: name, Driver: driver, DriverOpts: kvMap(options), Labels: kvMap(labels),
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), res.Volume.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&driver, "driver", "d", "local", "Specify volume driver name")
	f.StringVar(&name, "name", "", "Specify volume name")
	_ = f.MarkHidden("name")
	f.Var(opts.NewList(&labels, "list"), "label", "Set metadata for a volume")
	f.VarP(opts.NewList(&options, "map"), "opt", "o", "Set driver specific options")
	return cmd
}

// Row is one line of `volume ls`.
type Row struct{ V apivolume.Volume }

func (r Row) Name() string       { return r.V.Name }
func (r Row) Driver() string     { return r.V.Driver }
func (r Row) Scope() string      { return r.V.Scope }
func (r Row) Mountpoint() string { return r.V.Mountpoint }
func (r Row) CreatedAt() string  { return r.V.CreatedAt }
func (r Row) Labels() string     { return joinKV(r.V.Labels) }
func (r Row) Label(name string) string {
	return r.V.Labels[name]
}
func (r Row) Links() string {
	if r.V.UsageData == nil {
		return "N/A"
	}
	return fmt.Sprint(r.V.UsageData.RefCount)
}
func (r Row) Size() string {
	if r.V.UsageData == nil {
		return "N/A"
	}
	return units.HumanSizeWithPrecision(float64(r.V.UsageData.Size), 3)
}
func (r Row) Availability() string { return "N/A" }
func (r Row) Group() string        { return "N/A" }

func joinKV(m map[string]string) string {
	kv := make([]string, 0, len(m))
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

var header = format.HeaderContext{"Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT",
	"CreatedAt": "CREATED", "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE", "Availability": "AVAILABILITY", "Group": "GROUP"}

func newLsCommand(c *command.Cli) *cobra.Command {
	var quiet bool
	var fmtStr string
	var filters []string
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := opts.Filters(filters)
			if err != nil {
				return err
			}
			res, err := c.Client().VolumeList(cmd.Context(), client.VolumeListOptions{Filters: f})
			if err != nil {
				return err
			}
			sort.Slice(res.Items, func(i, j int) bool { return res.Items[i].Name < res.Items[j].Name })
			rows := make([]any, 0, len(res.Items))
			for _, v := range res.Items {
				rows = append(rows, Row{V: v})
			}
			fs := fmtStr
			switch {
			case quiet:
				fs = "{{.Name}}"
			case fs == "" || fs == format.TableFormatKey:
				fs = "table {{.Driver}}\t{{.Name}}"
			case fs == format.JSONFormatKey:
				fs = format.JSONFormat
			}
			return format.Context{Output: c.Out(), Format: format.Format(fs)}.Write(header, rows)
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display volume names")
	cmd.Flags().StringVar(&fmtStr, "format", "", format.ListFormatHelp)
	cmd.Flags().VarP(opts.NewList(&filters, "filter"), "filter", "f", "Provide filter values (e.g. \"dangling=true\")")
	return cmd
}

func newInspectCommand(c *command.Cli) *cobra.Command {
	var fmtStr string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] VOLUME [VOLUME...]",
		Short: "Display detailed information on one or more volumes",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return command.Inspect(cmd.Context(), c, fmtStr, args, func(ctx context.Context, ref string) (any, []byte, error) {
				res, err := c.Client().VolumeInspect(ctx, ref, client.VolumeInspectOptions{})
				if err != nil {
					return nil, nil, err
				}
				return res.Volume, res.Raw, nil
			})
		},
	}
	cmd.Flags().StringVarP(&fmtStr, "format", "f", "", format.InspectFormatHelp)
	return cmd
}

func newRmCommand(c *command.Cli) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Args:    command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var errs []string
			for _, n := range args {
				if _, err := c.Client().VolumeRemove(cmd.Context(), n, client.VolumeRemoveOptions{Force: force}); err != nil {
					errs = append(errs, command.ErrorText(err, c.Host()))
					continue
				}
				fmt.Fprintln(c.Out(), n)
			}
			if len(errs) > 0 {
				return command.StatusError{StatusCode: 1, Status: strings.Join(errs, "\n")}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the removal of one or more volumes")
	return cmd
}

func newPruneCommand(c *command.Cli) *cobra.Command {
	var force, all bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused local volumes",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := opts.Filters(filters)
			if err != nil {
				return err
			}
			if !force {
				what := "anonymous local volumes"
				if all {
					what = "all local volumes"
				}
				fmt.Fprintf(c.Out(), "WARNING! This will remove %s not used by at least one container.\nAre you sure you want to continue? [y/N] ", what)
				var answer string
				_, _ = fmt.Fscanln(c.In(), &answer)
				if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
					return nil
				}
			}
			res, err := c.Client().VolumePrune(cmd.Context(), client.VolumePruneOptions{All: all, Filters: f})
			if err != nil {
				return err
			}
			if len(res.Report.VolumesDeleted) > 0 {
				fmt.Fprintln(c.Out(), "Deleted Volumes:")
				for _, n := range res.Report.VolumesDeleted {
					fmt.Fprintln(c.Out(), n)
				}
				fmt.Fprintln(c.Out())
			}
			fmt.Fprintf(c.Out(), "Total reclaimed space: %s\n", units.HumanSize(float64(res.Report.SpaceReclaimed)))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused volumes, not just anonymous ones")
	cmd.Flags().Var(opts.NewList(&filters, "filter"), "filter", "Provide filter values (e.g. \"label=<label>\")")
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
