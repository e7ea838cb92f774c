package container

import (
	"context"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/format"
	"github.com/tug-project/tug/internal/cli/opts"
)

type psOptions struct {
	quiet   bool
	size    bool
	all     bool
	noTrunc bool
	latest  bool
	last    int
	format  string
	filters []string
}

func newPsCommand(c *command.Cli) *cobra.Command {
	var o psOptions
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPs(cmd.Context(), c, &o)
		},
		Annotations: map[string]string{"aliases": "tug container ls, tug container list, tug container ps, tug ps"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&o.quiet, "quiet", "q", false, "Only display container IDs")
	flags.BoolVarP(&o.size, "size", "s", false, "Display total file sizes")
	flags.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	flags.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	flags.BoolVarP(&o.latest, "latest", "l", false, "Show the latest created container (includes all states)")
	flags.IntVarP(&o.last, "last", "n", -1, "Show n last created containers (includes all states)")
	flags.StringVar(&o.format, "format", "", format.ListFormatHelp)
	flags.VarP(opts.NewList(&o.filters, "filter"), "filter", "f", "Filter output based on conditions provided")
	return cmd
}

// PsFormat picks the template for docker ps's options.
func PsFormat(userFormat string, quiet, size bool) string {
	switch {
	case quiet:
		return format.QuietIDFormat
	case userFormat == "" || userFormat == format.TableFormatKey:
		f := format.DefaultContainerTable
		if size {
			f += format.ContainerSizeColumn
		}
		return f
	case userFormat == format.JSONFormatKey:
		return format.JSONFormat
	}
	return userFormat
}

func runPs(ctx context.Context, c *command.Cli, o *psOptions) error {
	f, err := opts.Filters(o.filters)
	if err != nil {
		return err
	}
	list := client.ContainerListOptions{All: o.all, Limit: o.last, Size: o.size, Filters: f}
	if o.latest && o.last == -1 {
		list.Limit = 1
	}
	if !o.quiet && !list.Size && strings.Contains(o.format, ".Size") {
		list.Size = true
	}
	res, err := c.Client().ContainerList(ctx, list)
	if err != nil {
		return err
	}
	now := time.Now()
	rows := make([]any, 0, len(res.Items))
	for _, ctr := range res.Items {
		rows = append(rows, format.ContainerRow{C: ctr, Trunc: !o.noTrunc, Now: now})
	}
	fctx := format.Context{Output: c.Out(), Format: format.Format(PsFormat(o.format, o.quiet, list.Size)), Trunc: !o.noTrunc}
	return fctx.Write(format.ContainerHeader, rows)
}
