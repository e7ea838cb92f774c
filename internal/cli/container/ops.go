package container

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/opts"
)

func newPauseCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Pause all processes within one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(c, args, func(id string) error {
				_, err := c.Client().ContainerPause(cmd.Context(), id, client.ContainerPauseOptions{})
				return err
			})
		},
		Annotations: map[string]string{"aliases": "tug container pause, tug pause"},
	}
}

func newUnpauseCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "unpause CONTAINER [CONTAINER...]",
		Short: "Unpause all processes within one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(c, args, func(id string) error {
				_, err := c.Client().ContainerUnpause(cmd.Context(), id, client.ContainerUnpauseOptions{})
				return err
			})
		},
		Annotations: map[string]string{"aliases": "tug container unpause, tug unpause"},
	}
}

func newCommitCommand(c *command.Cli) *cobra.Command {
	var author, message string
	var changes []string
	pause := true
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  command.RequiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := client.ContainerCommitOptions{Author: author, Comment: message, Changes: changes, NoPause: !pause}
			if len(args) == 2 {
				o.Reference = args[1]
			}
			res, err := c.Client().ContainerCommit(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), res.ID)
			return nil
		},
		Annotations: map[string]string{"aliases": "tug container commit, tug commit"},
	}
	flags := cmd.Flags()
	flags.SetInterspersed(false)
	flags.StringVarP(&author, "author", "a", "", `Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	flags.StringVarP(&message, "message", "m", "", "Commit message")
	flags.VarP(opts.NewList(&changes, "list"), "change", "c", "Apply Dockerfile instruction to the created image")
	flags.BoolVarP(&pause, "pause", "p", true, "Pause container during commit")
	return cmd
}

func newExportCommand(c *command.Cli) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out io.Writer = c.Out()
			if output == "" && c.Out().IsTerminal() {
				return fmt.Errorf("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			if output != "" {
				f, err := os.Create(output)
				if err != nil {
					return fmt.Errorf("failed to export container: %w", err)
				}
				defer f.Close()
				out = f
			}
			rc, err := c.Client().ContainerExport(cmd.Context(), args[0], client.ContainerExportOptions{})
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(out, rc)
			return err
		},
		Annotations: map[string]string{"aliases": "tug container export, tug export"},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

func newPruneCommand(c *command.Cli) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !force && !command.Confirm(c, "WARNING! This will remove all stopped containers.") {
				return nil
			}
			f, err := opts.Filters(filters)
			if err != nil {
				return err
			}
			out, n, err := PruneContainers(cmd, c, f)
			if err != nil {
				return err
			}
			command.PrintPruneReport(c, out, n)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().Var(opts.NewList(&filters, "filter"), "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

// PruneContainers removes the stopped containers f selects and returns
// Docker's report of it (for `container prune` and `system prune`).
func PruneContainers(cmd *cobra.Command, c *command.Cli, f client.Filters) (string, uint64, error) {
	res, err := c.Client().ContainerPrune(cmd.Context(), client.ContainerPruneOptions{Filters: f})
	if err != nil {
		return "", 0, err
	}
	if len(res.Report.ContainersDeleted) == 0 {
		return "", res.Report.SpaceReclaimed, nil
	}
	var b strings.Builder
	b.WriteString("Deleted Containers:\n")
	for _, id := range res.Report.ContainersDeleted {
		b.WriteString(id + "\n")
	}
	return b.String(), res.Report.SpaceReclaimed, nil
}
