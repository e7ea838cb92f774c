package container

import (
	"errors"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/opts"
)

func newUpdateCommand(c *command.Cli) *cobra.Command {
	var o resourceOptions
	var restart string
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			flags := cmd.Flags()
			if flags.NFlag() == 0 {
				return errors.New("you must provide one or more flags when using this command")
			}
			upd := client.ContainerUpdateOptions{}
			r := o.updatableResources(flags)
			upd.Resources = &r
			if flags.Changed("restart") {
				rp, err := opts.RestartPolicy(restart)
				if err != nil {
					return err
				}
				upd.RestartPolicy = &rp
			}
			if o.kernelMemory != 0 {
				fmt.Fprintln(c.Err(), kernelMemoryWarning)
			}
			return forEach(c, args, func(id string) error {
				res, err := c.Client().ContainerUpdate(cmd.Context(), id, upd)
				for _, w := range res.Warnings {
					fmt.Fprintln(c.Err(), w)
				}
				return err
			})
		},
		Annotations: map[string]string{"aliases": "tug container update, tug update"},
	}
	flags := cmd.Flags()
	addUpdatableResourceFlags(flags, &o)
	flags.StringVar(&restart, "restart", "", "Restart policy to apply when a container exits")
	return cmd
}
