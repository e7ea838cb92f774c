package container

import (
	"context"
	"errors"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
)

type attachOptions struct {
	noStdin    bool
	proxy      bool
	detachKeys string
}

func newAttachCommand(c *command.Cli) *cobra.Command {
	var o attachOptions
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttach(cmd.Context(), c, &o, args[0])
		},
		Annotations: map[string]string{"aliases": "tug container attach, tug attach"},
	}
	flags := cmd.Flags()
	flags.BoolVar(&o.noStdin, "no-stdin", false, "Do not attach STDIN")
	flags.BoolVar(&o.proxy, "sig-proxy", true, "Proxy all received signals to the process")
	flags.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

func checkRunning(ctx context.Context, cl *client.Client, name string) (*container.InspectResponse, error) {
	res, err := cl.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return nil, err
	}
	st := res.Container.State
	switch {
	case st == nil || !st.Running:
		return nil, errors.New("cannot attach to a stopped container, start it first")
	case st.Paused:
		return nil, errors.New("cannot attach to a paused container, unpause it first")
	case st.Restarting:
		return nil, errors.New("cannot attach to a restarting container, wait until it is running")
	}
	if res.Container.Config == nil {
		res.Container.Config = &container.Config{}
	}
	return &res.Container, nil
}

func runAttach(ctx context.Context, c *command.Cli, o *attachOptions, name string) error {
	cl := c.Client()
	waitRes := cl.ContainerWait(context.WithoutCancel(ctx), name, client.ContainerWaitOptions{})
	ctr, err := checkRunning(ctx, cl, name)
	if err != nil {
		return err
	}
	tty := ctr.Config.Tty
	if err := c.In().CheckTty(!o.noStdin, tty); err != nil {
		return err
	}
	opts := client.ContainerAttachOptions{
		Stream:     true,
		Stdin:      !o.noStdin && ctr.Config.OpenStdin,
		Stdout:     true,
		Stderr:     true,
		DetachKeys: o.detachKeys,
	}
	streamCtx := ctx
	if o.proxy && !tty {
		streamCtx = context.WithoutCancel(ctx)
		signals := catchAllSignals()
		defer signals.stop()
		signals.forward(streamCtx, cl, ctr.ID)
		signals.wait()
	}
	resp, err := cl.ContainerAttach(streamCtx, ctr.ID, opts)
	if err != nil {
		return err
	}
	defer resp.Close()
	if _, err := checkRunning(ctx, cl, ctr.ID); err != nil {
		return err
	}
	if tty && c.Out().IsTerminal() {
		h, w := c.Out().TtySize()
		_ = resizeTo(streamCtx, c, ctr.ID, h+1, w+1)
		monitorTtySize(streamCtx, c, ctr.ID)
	}
	s := &streamer{cli: c, out: c.Out(), errw: c.Err(), resp: resp.HijackedResponse, tty: tty, detachKeys: o.detachKeys}
	if opts.Stdin {
		s.in = c.In()
	}
	if err := s.stream(streamCtx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	select {
	case r := <-waitRes.Result:
		if r.Error != nil && r.Error.Message != "" {
			return errors.New(r.Error.Message)
		}
		if r.StatusCode != 0 {
			return command.StatusError{StatusCode: int(r.StatusCode)}
		}
	case err := <-waitRes.Error:
		return err
	}
	return nil
}
