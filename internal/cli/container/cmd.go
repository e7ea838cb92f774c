package container

import (
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
)

// NewCommand returns the `container` management command.
func NewCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "container",
		Short: "Manage containers",
		Args:  command.NoArgs,
		RunE:  command.ShowHelp(c),
	}
	ls := newPsCommand(c)
	ls.Use = "ls [OPTIONS]"
	ls.Aliases = []string{"ps", "list"}
	rm := newRmCommand(c)
	rm.Aliases = []string{"remove"}
	cmd.AddCommand(
		newAttachCommand(c),
		newCpCommand(c),
		newCreateCommand(c),
		newDiffCommand(c),
		newExecCommand(c),
		newInspectCommand(c),
		newKillCommand(c),
		newLogsCommand(c),
		ls,
		newPortCommand(c),
		newRenameCommand(c),
		newRestartCommand(c),
		rm,
		newRunCommand(c),
		newStartCommand(c),
		newStatsCommand(c),
		newStopCommand(c),
		newTopCommand(c),
		newUpdateCommand(c),
		newWaitCommand(c),
		newPauseCommand(c),
		newUnpauseCommand(c),
		newCommitCommand(c),
		newExportCommand(c),
		newPruneCommand(c),
	)
	return cmd
}

// TopLevelCommands returns the container commands docker also offers at
// the top level (tug run, tug ps, ...).
func TopLevelCommands(c *command.Cli) []*cobra.Command {
	run := newRunCommand(c)
	run.Annotations = map[string]string{"category-top": "1", "aliases": "tug container run, tug run"}
	ps := newPsCommand(c)
	ps.Annotations = map[string]string{"category-top": "3", "aliases": "tug container ls, tug container list, tug container ps, tug ps"}
	return []*cobra.Command{
		newAttachCommand(c),
		newCpCommand(c),
		newCreateCommand(c),
		newDiffCommand(c),
		newExecCommand(c),
		newKillCommand(c),
		newLogsCommand(c),
		ps,
		newPortCommand(c),
		newRenameCommand(c),
		newRestartCommand(c),
		newRmCommand(c),
		run,
		newStartCommand(c),
		newStatsCommand(c),
		newStopCommand(c),
		newTopCommand(c),
		newUpdateCommand(c),
		newWaitCommand(c),
		newPauseCommand(c),
		newUnpauseCommand(c),
		newCommitCommand(c),
		newExportCommand(c),
	}
}

// Inspect is exported for the top-level `inspect` command.
var _ = newInspectCommand
