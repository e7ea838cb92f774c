package container

import (
	"context"
	"errors"
	"os"
	gosignal "os/signal"
	"time"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/opts"
)

type execOptions struct {
	detach      bool
	detachKeys  string
	env         []string
	envFile     []string
	interactive bool
	privileged  bool
	tty         bool
	user        string
	workdir     string
}

func newExecCommand(c *command.Cli) *cobra.Command {
	var o execOptions
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  command.RequiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExec(cmd.Context(), c, &o, args[0], args[1:])
		},
		Annotations: map[string]string{"aliases": "tug container exec, tug exec"},
	}
	flags := cmd.Flags()
	flags.SetInterspersed(false)
	flags.BoolVarP(&o.detach, "detach", "d", false, "Detached mode: run command in the background")
	flags.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	flags.VarP(opts.NewList(&o.env, "list"), "env", "e", "Set environment variables")
	flags.Var(opts.NewList(&o.envFile, "list"), "env-file", "Read in a file of environment variables")
	flags.BoolVarP(&o.interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	flags.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to the command")
	flags.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	flags.StringVarP(&o.user, "user", "u", "", "Username or UID (format: \"<name|uid>[:<group|gid>]\")")
	flags.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	return cmd
}

func runExec(ctx context.Context, c *command.Cli, o *execOptions, name string, cmdArgs []string) error {
	env, err := opts.ReadEnv(o.envFile, o.env, os.LookupEnv)
	if err != nil {
		return err
	}
	cl := c.Client()
	// The container must exist before the TTY check, so "No such
	// container" wins and no exec is left behind (docker's order).
	if _, err := cl.ContainerInspect(ctx, name, client.ContainerInspectOptions{}); err != nil {
		return err
	}
	create := client.ExecCreateOptions{
		User:       o.user,
		Privileged: o.privileged,
		TTY:        o.tty,
		DetachKeys: o.detachKeys,
		Env:        env,
		WorkingDir: o.workdir,
		Cmd:        cmdArgs,
	}
	if !o.detach {
		create.AttachStdin = o.interactive
		create.AttachStdout = true
		create.AttachStderr = true
		if err := c.In().CheckTty(o.interactive, o.tty); err != nil {
			return err
		}
	}
	if o.tty && c.Out().IsTerminal() {
		h, w := c.Out().TtySize()
		create.ConsoleSize = client.ConsoleSize{Height: h, Width: w}
	}
	res, err := cl.ExecCreate(ctx, name, create)
	if err != nil {
		return err
	}
	if o.detach {
		_, err := cl.ExecStart(ctx, res.ID, client.ExecStartOptions{Detach: true, TTY: o.tty, ConsoleSize: create.ConsoleSize})
		return err
	}
	return interactiveExec(ctx, c, o, create, res.ID)
}

func interactiveExec(ctx context.Context, c *command.Cli, o *execOptions, create client.ExecCreateOptions, id string) error {
	cl := c.Client()
	resp, err := cl.ExecAttach(ctx, id, client.ExecAttachOptions{TTY: o.tty, ConsoleSize: create.ConsoleSize})
	if err != nil {
		return err
	}
	defer resp.Close()
	s := &streamer{cli: c, resp: resp.HijackedResponse, tty: o.tty, detachKeys: o.detachKeys, out: c.Out()}
	if create.AttachStdin {
		s.in = c.In()
	}
	if o.tty {
		s.errw = c.Out()
	} else {
		s.errw = c.Err()
	}
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errCh := make(chan error, 1)
	go func() { errCh <- s.stream(streamCtx) }()
	if o.tty && c.In().IsTerminal() {
		monitorExecTtySize(streamCtx, c, id)
	}
	if err := <-errCh; err != nil {
		if isEscape(err) {
			return err
		}
		if !errors.Is(err, context.Canceled) {
			return err
		}
	}
	st, err := cl.ExecInspect(context.WithoutCancel(ctx), id, client.ExecInspectOptions{})
	if err != nil {
		if client.IsErrConnectionFailed(err) {
			return command.StatusError{StatusCode: -1}
		}
		return err
	}
	if st.ExitCode != 0 {
		return command.StatusError{StatusCode: st.ExitCode}
	}
	return nil
}

// monitorExecTtySize sends the terminal size to the exec now (retrying
// briefly while it starts) and on every SIGWINCH until ctx ends.
func monitorExecTtySize(ctx context.Context, c *command.Cli, id string) {
	resize := func() error {
		h, w := c.Out().TtySize()
		if h == 0 && w == 0 {
			return nil
		}
		_, err := c.Client().ExecResize(ctx, id, client.ExecResizeOptions{Height: h, Width: w})
		return err
	}
	go func() {
		for i := 0; i < 10; i++ {
			if resize() == nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(i+1) * 10 * time.Millisecond):
			}
		}
	}()
	sigc := make(chan os.Signal, 1)
	gosignal.Notify(sigc, unix.SIGWINCH)
	go func() {
		defer gosignal.Stop(sigc)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sigc:
				_ = resize()
			}
		}
	}()
}
