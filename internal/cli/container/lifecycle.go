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

// forEach runs fn on every argument, printing the argument on success and
// the error on failure; it fails if any did (errors joined, like docker).
func forEach(c *command.Cli, ids []string, fn func(id string) error) error {
	var errs []string
	for _, id := range ids {
		if err := fn(id); err != nil {
			errs = append(errs, command.ErrorText(err, c.Host()))
			continue
		}
		fmt.Fprintln(c.Out(), id)
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

func newStopCommand(c *command.Cli) *cobra.Command {
	var signal string
	var timeout int
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.ContainerStopOptions{Signal: signal}
			opts.Timeout = stopTimeout(cmd, &timeout)
			return forEach(c, args, func(id string) error {
				_, err := c.Client().ContainerStop(cmd.Context(), id, opts)
				return err
			})
		},
		Annotations: map[string]string{"aliases": "tug container stop, tug stop"},
	}
	addStopFlags(cmd, &signal, &timeout)
	return cmd
}

func newRestartCommand(c *command.Cli) *cobra.Command {
	var signal string
	var timeout int
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.ContainerRestartOptions{Signal: signal}
			opts.Timeout = stopTimeout(cmd, &timeout)
			return forEach(c, args, func(id string) error {
				_, err := c.Client().ContainerRestart(cmd.Context(), id, opts)
				return err
			})
		},
		Annotations: map[string]string{"aliases": "tug container restart, tug restart"},
	}
	addStopFlags(cmd, &signal, &timeout)
	return cmd
}

func newKillCommand(c *command.Cli) *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(c, args, func(id string) error {
				_, err := c.Client().ContainerKill(cmd.Context(), id, client.ContainerKillOptions{Signal: signal})
				return err
			})
		},
		Annotations: map[string]string{"aliases": "tug container kill, tug kill"},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	return cmd
}

func newRmCommand(c *command.Cli) *cobra.Command {
	var opts client.ContainerRemoveOptions
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(c, args, func(id string) error {
				id = strings.Trim(id, "/")
				if id == "" {
					return errors.New("Container name cannot be empty")
				}
				_, err := c.Client().ContainerRemove(cmd.Context(), id, opts)
				return err
			})
		},
		Annotations: map[string]string{"aliases": "tug container rm, tug container remove, tug rm"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&opts.Force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	flags.BoolVarP(&opts.RemoveLinks, "link", "l", false, "Remove the specified link")
	flags.BoolVarP(&opts.RemoveVolumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	return cmd
}

func newWaitCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWait(cmd.Context(), c, args)
		},
		Annotations: map[string]string{"aliases": "tug container wait, tug wait"},
	}
}

func runWait(ctx context.Context, c *command.Cli, ids []string) error {
	var errs []string
	for _, id := range ids {
		res := c.Client().ContainerWait(ctx, id, client.ContainerWaitOptions{})
		select {
		case r := <-res.Result:
			if r.Error != nil && r.Error.Message != "" {
				errs = append(errs, r.Error.Message)
				continue
			}
			fmt.Fprintf(c.Out(), "%d\n", r.StatusCode)
		case err := <-res.Error:
			errs = append(errs, command.ErrorText(err, c.Host()))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

func newRenameCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			oldName := strings.TrimSpace(args[0])
			newName := strings.TrimSpace(args[1])
			if oldName == "" || newName == "" {
				return errors.New("Error: Neither old nor new names may be empty")
			}
			if _, err := c.Client().ContainerRename(cmd.Context(), oldName, client.ContainerRenameOptions{NewName: newName}); err != nil {
				fmt.Fprintln(c.Err(), command.ErrorText(err, c.Host()))
				return fmt.Errorf("Error: failed to rename container named %s", oldName)
			}
			return nil
		},
		Annotations: map[string]string{"aliases": "tug container rename, tug rename"},
	}
}

// addStopFlags adds stop's and restart's --signal and --timeout (and the
// deprecated, hidden --time).
func addStopFlags(cmd *cobra.Command, signal *string, timeout *int) {
	flags := cmd.Flags()
	flags.StringVarP(signal, "signal", "s", "", "Signal to send to the container")
	flags.IntVarP(timeout, "timeout", "t", 0, "Seconds to wait before killing the container")
	flags.IntVar(timeout, "time", 0, "Seconds to wait before killing the container (deprecated: use --timeout)")
	_ = flags.MarkHidden("time")
}

// stopTimeout is the timeout to send: nil (the container's own) unless
// the user gave one.
func stopTimeout(cmd *cobra.Command, timeout *int) *int {
	if cmd.Flags().Changed("timeout") || cmd.Flags().Changed("time") {
		return timeout
	}
	return nil
}
