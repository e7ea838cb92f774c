package container

import (
	"context"
	"fmt"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
)

func newDiffCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := c.Client().ContainerDiff(cmd.Context(), args[0], client.ContainerDiffOptions{})
			if err != nil {
				return err
			}
			return printChanges(cmd.Context(), c, res.Changes)
		},
		Annotations: map[string]string{"aliases": "tug container diff, tug diff"},
	}
}

// printChanges prints one "K /path" line per change, K being C, A or D.
func printChanges(_ context.Context, c *command.Cli, changes []container.FilesystemChange) error {
	for _, ch := range changes {
		k := "?"
		switch ch.Kind {
		case container.ChangeModify:
			k = "C"
		case container.ChangeAdd:
			k = "A"
		case container.ChangeDelete:
			k = "D"
		}
		if _, err := fmt.Fprintf(c.Out(), "%s %s\n", k, ch.Path); err != nil {
			return err
		}
	}
	return nil
}
