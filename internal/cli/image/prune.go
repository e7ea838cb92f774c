package image

import (
	"fmt"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/opts"
)

func newPruneCommand(c *command.Cli) *cobra.Command {
	var force, all bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			warning := "WARNING! This will remove all dangling images."
			if all {
				warning = "WARNING! This will remove all images without at least one container associated to them."
			}
			if !force && !command.Confirm(c, warning) {
				return nil
			}
			f, err := opts.Filters(filters)
			if err != nil {
				return err
			}
			out, n, err := PruneImages(cmd, c, f, all)
			if err != nil {
				return err
			}
			command.PrintPruneReport(c, out, n)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused images, not just dangling ones")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().Var(opts.NewList(&filters, "filter"), "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

// PruneImages removes the unused images f selects (all unused ones with
// all, else the dangling ones) and returns Docker's report of it.
func PruneImages(cmd *cobra.Command, c *command.Cli, f client.Filters, all bool) (string, uint64, error) {
	if f == nil {
		f = client.Filters{}
	}
	f = f.Add("dangling", fmt.Sprint(!all))
	res, err := c.Client().ImagePrune(cmd.Context(), client.ImagePruneOptions{Filters: f})
	if err != nil {
		return "", 0, err
	}
	if len(res.Report.ImagesDeleted) == 0 {
		return "", res.Report.SpaceReclaimed, nil
	}
	var b strings.Builder
	b.WriteString("Deleted Images:\n")
	for _, d := range res.Report.ImagesDeleted {
		if d.Untagged != "" {
			b.WriteString("untagged: " + d.Untagged + "\n")
		} else {
			b.WriteString("deleted: " + d.Deleted + "\n")
		}
	}
	return b.String(), res.Report.SpaceReclaimed, nil
}
