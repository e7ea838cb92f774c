package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
)

type runOptions struct {
	containerOptions
	detach     bool
	sigProxy   bool
	detachKeys string
}

func newRunCommand(c *command.Cli) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.image = args[0]
			o.args = args[1:]
			return runRun(cmd.Context(), c, cmd, &o)
		},
		Annotations: map[string]string{"aliases": "tug container run, tug run"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&o.detach, "detach", "d", false, "Run container in background and print container ID")
	flags.BoolVar(&o.sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	flags.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	addContainerFlags(flags, &o.containerOptions)
	return cmd
}

func runRun(ctx context.Context, c *command.Cli, cmd *cobra.Command, o *runOptions) error {
	path := cmd.CommandPath()
	cfg, err := parse(cmd.Flags(), &o.containerOptions, os.LookupEnv)
	if err != nil {
		command.ReportError(c.Err(), path, err.Error(), true)
		return command.StatusError{StatusCode: 125}
	}
	config := cfg.Config
	if o.detach {
		if len(o.attach) != 0 {
			return errors.New("conflicting options: cannot specify both --attach and --detach")
		}
		config.AttachStdin = false
		config.AttachStdout = false
		config.AttachStderr = false
		config.StdinOnce = false
	} else if err := c.In().CheckTty(config.AttachStdin, config.Tty); err != nil {
		return err
	}

	// From the container's creation on, a signal must not cut the
	// attach or wait short when signals are proxied to the container.
	proxy := o.sigProxy && !config.Tty && !o.detach
	var signals *signalProxy
	if proxy {
		signals = catchAllSignals()
		defer signals.stop()
	}

	id, err := createContainer(ctx, c, cfg, &o.containerOptions)
	if err != nil {
		command.ReportError(c.Err(), path, command.ErrorText(err, c.Host()), true)
		return command.StatusError{StatusCode: RunErrorCode(false, err.Error())}
	}
	cl := c.Client()

	streamCtx := ctx
	if proxy {
		streamCtx = context.WithoutCancel(ctx)
		signals.forward(streamCtx, cl, id)
	}
	streamCtx, cancel := context.WithCancel(streamCtx)
	defer cancel()

	attach := config.AttachStdin || config.AttachStdout || config.AttachStderr
	var errCh chan error
	if attach {
		resp, err := cl.ContainerAttach(streamCtx, id, client.ContainerAttachOptions{
			Stream:     true,
			Stdin:      config.AttachStdin,
			Stdout:     config.AttachStdout,
			Stderr:     config.AttachStderr,
			DetachKeys: o.detachKeys,
		})
		if err != nil {
			return err
		}
		defer resp.Close()
		s := &streamer{cli: c, resp: resp.HijackedResponse, tty: config.Tty, detachKeys: o.detachKeys}
		if config.AttachStdin {
			s.in = c.In()
		}
		if config.AttachStdout {
			s.out = c.Out()
		}
		if config.AttachStderr {
			if config.Tty {
				s.errw = c.Out()
			} else {
				s.errw = c.Err()
			}
		}
		errCh = make(chan error, 1)
		go func() { errCh <- s.stream(streamCtx) }()
	}

	var statusC <-chan int
	if !o.detach {
		statusC = waitExitOrRemoved(context.WithoutCancel(ctx), c, id, o.autoRemove)
	}

	if !config.AttachStdout && !config.AttachStderr {
		fmt.Fprintln(c.Out(), id)
	}

	if proxy {
		signals.wait() // every signal proxied once the container runs
	}
	if _, err := cl.ContainerStart(streamCtx, id, client.ContainerStartOptions{}); err != nil {
		if attach {
			cancel()
			<-errCh
		}
		command.ReportError(c.Err(), path, command.ErrorText(err, c.Host()), true)
		if o.autoRemove && statusC != nil {
			<-statusC
		}
		return command.StatusError{StatusCode: RunErrorCode(true, err.Error())}
	}

	if attach && config.Tty && c.Out().IsTerminal() {
		monitorTtySize(streamCtx, c, id)
	}

	if errCh != nil {
		if err := <-errCh; err != nil {
			if isEscape(err) {
				return nil
			}
			if !errors.Is(err, context.Canceled) {
				return err
			}
		}
	}

	if statusC == nil || (!config.AttachStdout && !config.AttachStderr) {
		return nil
	}
	if status := <-statusC; status != 0 {
		return command.StatusError{StatusCode: status}
	}
	return nil
}

// waitExitOrRemoved registers a wait (next-exit, or removed with --rm)
// before the container starts and delivers its exit status; 125 when the
// wait itself fails.
func waitExitOrRemoved(ctx context.Context, c *command.Cli, id string, removed bool) <-chan int {
	cond := container.WaitConditionNextExit
	if removed {
		cond = container.WaitConditionRemoved
	}
	res := c.Client().ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: cond})
	statusC := make(chan int, 1)
	go func() {
		select {
		case r := <-res.Result:
			if r.Error != nil {
				fmt.Fprintf(c.Err(), "Error waiting for container: %v\n", r.Error.Message)
				statusC <- 125
				return
			}
			statusC <- int(r.StatusCode)
		case err := <-res.Error:
			fmt.Fprintf(c.Err(), "Error waiting for container: %v\n", err)
			statusC <- 125
		}
	}()
	return statusC
}

// RunErrorCode is run's exit status for a failure to create (started
// false) or to start the container: 125, the daemon's error, except for a
// start whose command was not found (127) or could not be invoked (126).
// A create error is 125 whatever its text: the error about a device the
// host does not have says "no such file or directory" too (issue 12:
// every refusal before anything is created exits 125). docker/cli's
// runContainer passes create errors through the same text match as start
// errors, so with the stock docker CLI such a create error exits 127.
func RunErrorCode(started bool, msg string) int {
	if !started {
		return 125
	}
	msg = strings.TrimPrefix(msg, "Error response from daemon: ")
	switch {
	case strings.Contains(msg, "executable file not found"),
		strings.Contains(msg, "no such file or directory"),
		strings.Contains(msg, "system cannot find the file specified"):
		return 127
	case strings.Contains(msg, "permission denied"),
		strings.Contains(msg, "is a directory"):
		return 126
	}
	return 125
}
