package container

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
)

type startOptions struct {
	attach     bool
	openStdin  bool
	detachKeys string
}

func newStartCommand(c *command.Cli) *cobra.Command {
	var o startOptions
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStart(cmd.Context(), c, &o, args)
		},
		Annotations: map[string]string{"aliases": "tug container start, tug start"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&o.attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	flags.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	flags.BoolVarP(&o.openStdin, "interactive", "i", false, "Attach container's STDIN")
	return cmd
}

func runStart(ctx context.Context, c *command.Cli, o *startOptions, ids []string) error {
	cl := c.Client()
	if !o.attach && !o.openStdin {
		var failed []string
		for _, id := range ids {
			if _, err := cl.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
				fmt.Fprintln(c.Err(), command.ErrorText(err, c.Host()))
				failed = append(failed, id)
				continue
			}
			fmt.Fprintln(c.Out(), id)
		}
		if len(failed) > 0 {
			return errors.New("Error: failed to start containers: " + strings.Join(failed, ", "))
		}
		return nil
	}
	if len(ids) > 1 {
		return errors.New("you cannot start and attach multiple containers at once")
	}
	res, err := cl.ContainerInspect(ctx, ids[0], client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	ctr := res.Container
	tty := ctr.Config != nil && ctr.Config.Tty
	openStdin := ctr.Config != nil && ctr.Config.OpenStdin
	autoRemove := ctr.HostConfig != nil && ctr.HostConfig.AutoRemove

	streamCtx := ctx
	if !tty {
		streamCtx = context.WithoutCancel(ctx)
		signals := catchAllSignals()
		defer signals.stop()
		signals.forward(streamCtx, cl, ctr.ID)
		signals.wait()
	}
	streamCtx, cancel := context.WithCancel(streamCtx)
	defer cancel()

	opts := client.ContainerAttachOptions{
		Stream:     true,
		Stdin:      o.openStdin && openStdin,
		Stdout:     true,
		Stderr:     true,
		DetachKeys: o.detachKeys,
	}
	resp, err := cl.ContainerAttach(streamCtx, ctr.ID, opts)
	if err != nil {
		return err
	}
	defer resp.Close()
	s := &streamer{cli: c, out: c.Out(), errw: c.Err(), resp: resp.HijackedResponse, tty: tty, detachKeys: o.detachKeys}
	if opts.Stdin {
		s.in = c.In()
	}
	errCh := make(chan error, 1)
	go func() { errCh <- s.stream(streamCtx) }()

	statusC := waitExitOrRemoved(context.WithoutCancel(ctx), c, ctr.ID, autoRemove)
	if _, err := cl.ContainerStart(streamCtx, ctr.ID, client.ContainerStartOptions{}); err != nil {
		cancel()
		<-errCh
		if autoRemove {
			<-statusC
		}
		return err
	}
	if tty && c.Out().IsTerminal() {
		monitorTtySize(streamCtx, c, ctr.ID)
	}
	if err := <-errCh; err != nil {
		if isEscape(err) {
			return nil
		}
		if !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if status := <-statusC; status != 0 {
		return command.StatusError{StatusCode: status}
	}
	return nil
}
