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

// TopLevel are the container commands docker also offers at the top level
// (tug run, tug ps, ...), by name: the CLI builds only the one a command
// line names (cli.NewRootCommandFor).
var TopLevel = map[string]func(*command.Cli) *cobra.Command{
	"attach": newAttachCommand,
	"cp":     newCpCommand,
	"create": newCreateCommand,
	"diff":   newDiffCommand,
	"exec":   newExecCommand,
	"kill":   newKillCommand,
	"logs":   newLogsCommand,
	"ps": func(c *command.Cli) *cobra.Command {
		ps := newPsCommand(c)
		ps.Annotations = map[string]string{"category-top": "3", "aliases": "tug container ls, tug container list, tug container ps, tug ps"}
		return ps
	},
	"port":    newPortCommand,
	"rename":  newRenameCommand,
	"restart": newRestartCommand,
	"rm":      newRmCommand,
	"run": func(c *command.Cli) *cobra.Command {
		run := newRunCommand(c)
		run.Annotations = map[string]string{"category-top": "1", "aliases": "tug container run, tug run"}
		return run
	},
	"start":   newStartCommand,
	"stats":   newStatsCommand,
	"stop":    newStopCommand,
	"top":     newTopCommand,
	"update":  newUpdateCommand,
	"wait":    newWaitCommand,
	"pause":   newPauseCommand,
	"unpause": newUnpauseCommand,
	"commit":  newCommitCommand,
	"export":  newExportCommand,
}

// TopLevelCommands returns every command of TopLevel.
func TopLevelCommands(c *command.Cli) []*cobra.Command {
	cmds := make([]*cobra.Command, 0, len(TopLevel))
	for _, build := range TopLevel {
		cmds = append(cmds, build(c))
	}
	return cmds
}
