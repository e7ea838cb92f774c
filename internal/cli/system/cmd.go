package system

import (
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
)

// NewCommand returns the `system` management command.
func NewCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "system",
		Short: "Manage tug",
		Args:  command.NoArgs,
		RunE:  command.ShowHelp(c),
	}
	cmd.AddCommand(newEventsCommand(c), newInfoCommand(c), newDFCommand(c), newPruneCommand(c))
	return cmd
}

// TopLevelCommands returns version, info, events and inspect.
func TopLevelCommands(c *command.Cli) []*cobra.Command {
	return []*cobra.Command{newEventsCommand(c), newInfoCommand(c), newInspectCommand(c), newVersionCommand(c)}
}
