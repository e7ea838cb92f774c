package container

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/opts"
)

type logsOptions struct {
	follow     bool
	since      string
	until      string
	timestamps bool
	details    bool
	tail       string
}

func newLogsCommand(c *command.Cli) *cobra.Command {
	var o logsOptions
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd.Context(), c, &o, args[0])
		},
		Annotations: map[string]string{"aliases": "tug container logs, tug logs"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&o.follow, "follow", "f", false, "Follow log output")
	flags.StringVar(&o.since, "since", "", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	flags.StringVar(&o.until, "until", "", `Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	flags.BoolVarP(&o.timestamps, "timestamps", "t", false, "Show timestamps")
	flags.BoolVar(&o.details, "details", false, "Show extra details provided to logs")
	flags.StringVarP(&o.tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	return cmd
}

func runLogs(ctx context.Context, c *command.Cli, o *logsOptions, name string) error {
	cl := c.Client()
	res, err := cl.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	now := time.Now()
	since, until := o.since, o.until
	if since != "" {
		if since, err = opts.Timestamp(since, now); err != nil {
			return fmt.Errorf(`invalid value for "since": %w`, err)
		}
	}
	if until != "" {
		if until, err = opts.Timestamp(until, now); err != nil {
			return fmt.Errorf(`invalid value for "until": %w`, err)
		}
	}
	body, err := cl.ContainerLogs(ctx, res.Container.ID, client.ContainerLogsOptions{
		ShowStdout: true,
		ShowStderr: true,
		Since:      since,
		Until:      until,
		Timestamps: o.timestamps,
		Follow:     o.follow,
		Tail:       o.tail,
		Details:    o.details,
	})
	if err != nil {
		return err
	}
	defer body.Close()
	if res.Container.Config != nil && res.Container.Config.Tty {
		_, err = io.Copy(c.Out(), body)
	} else {
		_, err = stdcopy.StdCopy(c.Out(), c.Err(), body)
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}
