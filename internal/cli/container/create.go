package container

import (
	"context"
	"fmt"
	"io"
	"os"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
)

func newCreateCommand(c *command.Cli) *cobra.Command {
	var o containerOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.image = args[0]
			o.args = args[1:]
			return runCreate(cmd.Context(), c, cmd, &o)
		},
		Annotations: map[string]string{"aliases": "tug container create, tug create"},
	}
	addContainerFlags(cmd.Flags(), &o)
	return cmd
}

func runCreate(ctx context.Context, c *command.Cli, cmd *cobra.Command, o *containerOptions) error {
	cfg, err := parse(cmd.Flags(), o, os.LookupEnv)
	if err != nil {
		command.ReportError(c.Err(), cmd.CommandPath(), err.Error(), true)
		return command.StatusError{StatusCode: 125}
	}
	id, err := createContainer(ctx, c, cfg, o)
	if err != nil {
		// Like docker: daemon errors from create are plain errors (exit 1);
		// only flag and option errors exit 125.
		return err
	}
	fmt.Fprintln(c.Out(), id)
	return nil
}

// namedImage is the image reference's name with its tag (latest when it
// has none), nil for an image ID or an invalid reference.
func namedImage(image string) reference.Named {
	ref, err := reference.ParseAnyReference(image)
	if err != nil {
		return nil
	}
	n, ok := ref.(reference.Named)
	if !ok {
		return nil
	}
	return reference.TagNameOnly(n)
}

// createContainer creates the container, pulling the image first with
// --pull always, or when the daemon reports it missing with --pull missing.
func createContainer(ctx context.Context, c *command.Cli, cfg *containerConfig, o *containerOptions) (string, error) {
	pull := func() error {
		var out io.Writer = c.Err()
		if o.quiet {
			out = io.Discard
		}
		return command.PullImage(ctx, c, cfg.Config.Image, cfg.Platform, false, out)
	}
	if o.pull == PullAlways {
		if err := pull(); err != nil {
			return "", err
		}
	}
	if cfg.Config.Tty {
		h, w := c.Out().TtySize()
		cfg.HostConfig.ConsoleSize = [2]uint{h, w}
	}
	create := func() (client.ContainerCreateResult, error) {
		return c.Client().ContainerCreate(ctx, client.ContainerCreateOptions{
			Config:           cfg.Config,
			HostConfig:       cfg.HostConfig,
			NetworkingConfig: cfg.NetworkingConfig,
			Platform:         cfg.Platform,
			Name:             o.name,
		})
	}
	resp, err := create()
	if err != nil {
		// The reference is parsed only now: its regular expressions cost a
		// run that finds its image ~0.5 ms of the CLI's start.
		named := namedImage(cfg.Config.Image)
		if !cerrdefs.IsNotFound(err) || named == nil || o.pull != PullMissing {
			return "", err
		}
		if !o.quiet {
			fmt.Fprintf(c.Err(), "Unable to find image '%s' locally\n", reference.FamiliarString(named))
		}
		if err := pull(); err != nil {
			return "", err
		}
		if resp, err = create(); err != nil {
			return "", err
		}
	}
	for _, w := range resp.Warnings {
		fmt.Fprintf(c.Err(), "WARNING: %s\n", w)
	}
	if o.res.kernelMemory != 0 {
		fmt.Fprintln(c.Err(), kernelMemoryWarning) // resopts.go
	}
	return resp.ID, nil
}
