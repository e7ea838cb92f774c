package container

import (
	"context"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/format"
)

func newInspectCommand(c *command.Cli) *cobra.Command {
	var fmtStr string
	var size bool
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Display detailed information on one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return command.Inspect(cmd.Context(), c, fmtStr, args, func(ctx context.Context, ref string) (any, []byte, error) {
				return InspectOne(ctx, c, ref, size)
			})
		},
	}
	cmd.Flags().StringVarP(&fmtStr, "format", "f", "", format.InspectFormatHelp)
	cmd.Flags().BoolVarP(&size, "size", "s", false, "Display total file sizes")
	return cmd
}

// InspectOne fetches one container's inspect document (typed and raw).
func InspectOne(ctx context.Context, c *command.Cli, ref string, size bool) (any, []byte, error) {
	res, err := c.Client().ContainerInspect(ctx, ref, client.ContainerInspectOptions{Size: size})
	if err != nil {
		return nil, nil, err
	}
	return res.Container, res.Raw, nil
}
