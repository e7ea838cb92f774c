package command

import (
	"fmt"

	"github.com/spf13/cobra"
)

// NoArgs rejects arguments; for command groups it reports an unknown command.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return fmt.Errorf("%[1]s: unknown command: %[2]s %[3]s\n\nUsage:  %[4]s\n\nRun '%[2]s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), args[0], cmd.UseLine())
	}
	return fmt.Errorf("%[1]s: '%[2]s' accepts no arguments\n\nUsage:  %[3]s\n\nRun '%[2]s --help' for more information",
		cmd.Root().Name(), cmd.CommandPath(), cmd.UseLine())
}

// RequiresMinArgs requires at least n arguments.
func RequiresMinArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= n {
			return nil
		}
		return fmt.Errorf("%[1]s: '%[2]s' requires at least %[3]d %[4]s\n\nUsage:  %[5]s\n\nSee '%[2]s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, pluralize("argument", n), cmd.UseLine())
	}
}

// RequiresMaxArgs allows at most n arguments.
func RequiresMaxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) <= n {
			return nil
		}
		return fmt.Errorf("%[1]s: '%[2]s' requires at most %[3]d %[4]s\n\nUsage:  %[5]s\n\nRun '%[2]s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, pluralize("argument", n), cmd.UseLine())
	}
}

// RequiresRangeArgs requires between lo and hi arguments.
func RequiresRangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= lo && len(args) <= hi {
			return nil
		}
		return fmt.Errorf("%[1]s: '%[2]s' requires at least %[3]d and at most %[4]d %[5]s\n\nUsage:  %[6]s\n\nRun '%[2]s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), lo, hi, pluralize("argument", hi), cmd.UseLine())
	}
}

// ExactArgs requires exactly n arguments.
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return fmt.Errorf("%[1]s: '%[2]s' requires %[3]d %[4]s\n\nUsage:  %[5]s\n\nRun '%[2]s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, pluralize("argument", n), cmd.UseLine())
	}
}

func pluralize(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// ShowHelp prints the command's help to stderr, as docker does for bare
// command groups.
func ShowHelp(c *Cli) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		cmd.SetOut(c.Err())
		cmd.HelpFunc()(cmd, nil)
		return nil
	}
}
