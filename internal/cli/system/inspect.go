package system

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/container"
	"github.com/tug-project/tug/internal/cli/format"
	"github.com/tug-project/tug/internal/cli/image"
)

func newInspectCommand(c *command.Cli) *cobra.Command {
	var fmtStr, typ string
	var size bool
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on tug objects",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch typ {
			case "", "container", "image":
			default:
				return fmt.Errorf("%q is not a valid value for --type", typ)
			}
			return command.Inspect(cmd.Context(), c, fmtStr, args, func(ctx context.Context, ref string) (any, []byte, error) {
				return inspectAny(ctx, c, typ, ref, size)
			})
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&fmtStr, "format", "f", "", format.InspectFormatHelp)
	flags.StringVar(&typ, "type", "", "Only inspect objects of the given type")
	flags.BoolVarP(&size, "size", "s", false, "Display total file sizes if the type is container")
	return cmd
}

func inspectAny(ctx context.Context, c *command.Cli, typ, ref string, size bool) (any, []byte, error) {
	switch typ {
	case "container":
		return container.InspectOne(ctx, c, ref, size)
	case "image":
		return image.InspectOne(ctx, c, ref)
	}
	v, raw, err := container.InspectOne(ctx, c, ref, size)
	if err == nil || !cerrdefs.IsNotFound(err) {
		return v, raw, err
	}
	v, raw, err = image.InspectOne(ctx, c, ref)
	if err == nil || !cerrdefs.IsNotFound(err) {
		return v, raw, err
	}
	return nil, nil, fmt.Errorf("Error: No such object: %s", ref)
}
