package container

import (
	"context"
	"strings"
	"text/tabwriter"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
)

func newTopCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTop(cmd.Context(), c, args[0], args[1:])
		},
		Annotations: map[string]string{"aliases": "tug container top, tug top"},
	}
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func runTop(ctx context.Context, c *command.Cli, name string, psArgs []string) error {
	res, err := c.Client().ContainerTop(ctx, name, client.ContainerTopOptions{Arguments: psArgs})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.Out(), 20, 1, 3, ' ', 0)
	w.Write([]byte(strings.Join(res.Titles, "\t") + "\n"))
	for _, p := range res.Processes {
		w.Write([]byte(strings.Join(p, "\t") + "\n"))
	}
	return w.Flush()
}
