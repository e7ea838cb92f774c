package image

import (
	"fmt"
	"io"

	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
)

func newPushCommand(c *command.Cli) *cobra.Command {
	var all, quiet bool
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			named, err := transferRef(c, args[0], all, quiet)
			if err != nil {
				return err
			}
			ref := reference.FamiliarString(named)
			resp, err := c.Client().ImagePush(cmd.Context(), ref, client.ImagePushOptions{All: all, RegistryAuth: command.RegistryAuth(c, ref)})
			if err != nil {
				return err
			}
			defer resp.Close()
			var out io.Writer = c.Out()
			if quiet {
				out = io.Discard
			}
			if err := command.DisplayJSONMessages(resp, out); err != nil {
				return err
			}
			if quiet {
				fmt.Fprintln(c.Out(), ref)
			}
			return nil
		},
		Annotations: map[string]string{"aliases": "tug image push, tug push"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&all, "all-tags", "a", false, "Push all tags of an image to the repository")
	flags.BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	return cmd
}
