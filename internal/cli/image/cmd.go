package image

import (
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
)

// NewCommand returns the `image` management command.
func NewCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Manage images",
		Args:  command.NoArgs,
		RunE:  command.ShowHelp(c),
	}
	ls := newImagesCommand(c)
	ls.Use = "ls [OPTIONS] [REPOSITORY[:TAG]]"
	ls.Aliases = []string{"list"}
	rm := newRmiCommand(c)
	rm.Use = "rm [OPTIONS] IMAGE [IMAGE...]"
	rm.Aliases = []string{"remove"}
	cmd.AddCommand(
		newImportCommand(c),
		newInspectCommand(c),
		newLoadCommand(c),
		ls,
		newPullCommand(c),
		newPushCommand(c),
		rm,
		newSaveCommand(c),
		newTagCommand(c),
		newPruneCommand(c),
	)
	return cmd
}

// TopLevelCommands returns the image commands docker offers at the top
// level (tug images, tug pull, ...).
func TopLevelCommands(c *command.Cli) []*cobra.Command {
	images := newImagesCommand(c)
	images.Annotations["category-top"] = "4"
	pull := newPullCommand(c)
	pull.Annotations["category-top"] = "2"
	push := newPushCommand(c)
	push.Annotations["category-top"] = "3"
	return []*cobra.Command{
		images,
		newImportCommand(c),
		newLoadCommand(c),
		pull,
		push,
		newRmiCommand(c),
		newSaveCommand(c),
		newTagCommand(c),
	}
}
