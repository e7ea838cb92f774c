package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/moby/term"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/build"
	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/container"
	"github.com/tug-project/tug/internal/cli/image"
	"github.com/tug-project/tug/internal/cli/network"
	"github.com/tug-project/tug/internal/cli/plugin"
	"github.com/tug-project/tug/internal/cli/registry"
	"github.com/tug-project/tug/internal/cli/system"
	"github.com/tug-project/tug/internal/cli/volume"
)

// NewRootCommand returns the `tug` command on the given streams, and the
// shared CLI state its commands use.
func NewRootCommand(in io.ReadCloser, out, errw io.Writer) (*cobra.Command, *command.Cli) {
	cmd, c := newRoot(in, out, errw)
	addCommands(cmd, c)
	return cmd, c
}

// NewRootCommandFor is NewRootCommand for the command line args (without
// the program name): when they name one of the container commands also
// offered at the top level (`tug run ...`), the root holds that command
// alone, which runs and parses alike, and the CLI does not build the other
// hundred or so commands and their flags (~0.8 ms at every start here).
// Otherwise (help, another command, a plugin, nothing) it holds them all.
func NewRootCommandFor(args []string, in io.ReadCloser, out, errw io.Writer) (*cobra.Command, *command.Cli) {
	cmd, c := newRoot(in, out, errw)
	if build, ok := container.TopLevel[firstWord(cmd, args)]; ok {
		cmd.AddCommand(build(c))
		visitAll(cmd, func(cc *cobra.Command) { cc.DisableFlagsInUseLine = true })
		return cmd, c
	}
	addCommands(cmd, c)
	return cmd, c
}

// firstWord is the word after tug's global options at the head of args;
// "" when there is none or they do not parse.
func firstWord(root *cobra.Command, args []string) string {
	if rest, ok := afterGlobalOptions(root, args); ok && len(rest) > 0 {
		return rest[0]
	}
	return ""
}

// afterGlobalOptions parses tug's global options at the head of args and
// returns the words after them; false when they do not parse.
func afterGlobalOptions(root *cobra.Command, args []string) ([]string, bool) {
	flags := root.Flags()
	flags.SetInterspersed(false)
	defer flags.SetInterspersed(true)
	if err := flags.Parse(args); err != nil {
		return nil, false
	}
	return flags.Args(), true
}

// newRoot returns the `tug` command without its subcommands.
func newRoot(in io.ReadCloser, out, errw io.Writer) (*cobra.Command, *command.Cli) {
	c := command.New(in, out, errw)
	var host, configDir string
	cmd := &cobra.Command{
		Use:              "tug [OPTIONS] COMMAND [ARG...]",
		Short:            "A self-sufficient runtime for containers",
		SilenceUsage:     true,
		SilenceErrors:    true,
		TraverseChildren: true,
		Args:             cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return command.ShowHelp(c)(cmd, args)
			}
			return fmt.Errorf("tug: unknown command: tug %s\n\nRun 'tug --help' for more information", args[0])
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if configDir != "" {
				command.SetConfigDir(configDir)
			}
			return c.Init(command.ResolveHost(host, os.Getenv))
		},
		Version:               fmt.Sprintf("%s, build %s", command.Version, command.GitCommit),
		DisableFlagsInUseLine: true,
		CompletionOptions: cobra.CompletionOptions{
			HiddenDefaultCmd:    true,
			DisableDescriptions: true,
		},
	}
	cmd.SetIn(c.In())
	cmd.SetOut(c.Out())
	cmd.SetErr(c.Err())
	cmd.SetVersionTemplate("tug version {{.Version}}\n")

	flags := cmd.Flags()
	flags.StringVarP(&host, "host", "H", "", "Daemon socket to connect to")
	flags.StringVar(&configDir, "config", "", "Location of client config files (default ~/.docker)")
	flags.BoolP("debug", "D", false, "Enable debug mode")
	flags.StringP("log-level", "l", "info", `Set the logging level ("debug", "info", "warn", "error", "fatal")`)
	flags.BoolP("version", "v", false, "Print version information and quit")

	setupHelp(cmd)
	return cmd, c
}

// addCommands adds every tug command to the root cmd.
func addCommands(cmd *cobra.Command, c *command.Cli) {
	var cmds []*cobra.Command
	cmds = append(cmds, container.NewCommand(c), image.NewCommand(c), network.NewCommand(c), system.NewCommand(c), volume.NewCommand(c))
	cmds = append(cmds, container.TopLevelCommands(c)...)
	cmds = append(cmds, image.TopLevelCommands(c)...)
	cmds = append(cmds, system.TopLevelCommands(c)...)
	cmds = append(cmds, registry.Commands(c)...)
	cmds = append(cmds, build.NewBuildCommand(c), build.NewBuilderCommand(c))
	cmd.AddCommand(cmds...)

	visitAll(cmd, func(cc *cobra.Command) { cc.DisableFlagsInUseLine = true })
}

// Execute runs the command line args (without the program name). A first
// word that names no tug command runs the Docker CLI plugin of that name if
// one is installed (`tug compose up` runs docker-compose), as the docker CLI
// does; otherwise cobra reports the unknown command as Docker does.
func Execute(ctx context.Context, root *cobra.Command, c *command.Cli, args []string) error {
	if name, ok := pluginName(root, args); ok {
		if err := root.PersistentPreRunE(root, nil); err != nil {
			return err
		}
		err := plugin.Run(ctx, root, name, c.Host(), args, c.Out().IsTerminal())
		var exit plugin.ExitError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &exit):
			return command.StatusError{StatusCode: exit.Code}
		case !plugin.IsNotFound(err):
			return err
		}
	}
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// pluginName parses tug's global options at the head of args and returns
// the word after them (or after `help`) when it names none of root's
// commands.
func pluginName(root *cobra.Command, args []string) (string, bool) {
	rest, ok := afterGlobalOptions(root, args)
	if !ok {
		return "", false
	}
	if len(rest) > 1 && rest[0] == "help" {
		// `tug help compose` runs `docker-compose help compose`, as the
		// docker CLI does.
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return "", false
	}
	if cmd, _, err := root.Find(rest); err == nil && cmd != root {
		return "", false
	}
	return rest[0], true
}

// ExitStatus maps the error returned by Execute to the exit status and the
// message for stderr, like docker's main: StatusError carries its own
// code, a cancelled context exits 0, anything else exits 1.
func ExitStatus(c *command.Cli, err error) (int, string) {
	if err != nil && errors.Is(err, context.Canceled) {
		var st command.StatusError
		if !errors.As(err, &st) {
			return 0, ""
		}
	}
	return command.ExitCode(err, c.Host())
}

func visitAll(cmd *cobra.Command, fn func(*cobra.Command)) {
	for _, sub := range cmd.Commands() {
		visitAll(sub, fn)
	}
	fn(cmd)
}

func setupHelp(root *cobra.Command) {
	cobra.AddTemplateFunc("add", func(a, b int) int { return a + b })
	cobra.AddTemplateFunc("hasAliases", func(cmd *cobra.Command) bool {
		return len(cmd.Aliases) > 0 || cmd.Annotations["aliases"] != ""
	})
	cobra.AddTemplateFunc("commandAliases", commandAliases)
	cobra.AddTemplateFunc("hasSubCommands", func(cmd *cobra.Command) bool { return len(operationSubCommands(cmd)) > 0 })
	cobra.AddTemplateFunc("operationSubCommands", operationSubCommands)
	cobra.AddTemplateFunc("hasManagementSubCommands", func(cmd *cobra.Command) bool { return len(managementSubCommands(cmd)) > 0 })
	cobra.AddTemplateFunc("managementSubCommands", managementSubCommands)
	cobra.AddTemplateFunc("hasTopCommands", func(cmd *cobra.Command) bool { return len(topCommands(cmd)) > 0 })
	cobra.AddTemplateFunc("topCommands", topCommands)
	cobra.AddTemplateFunc("wrappedFlagUsages", wrappedFlagUsages)

	cobra.AddTemplateFunc("decoratedName", decoratedName)
	cobra.AddTemplateFunc("hasInvalidPlugins", func(cmd *cobra.Command) bool { return len(invalidPlugins(cmd)) > 0 })
	cobra.AddTemplateFunc("invalidPlugins", invalidPlugins)
	cobra.AddTemplateFunc("invalidPluginReason", plugin.Invalid)

	root.SetUsageTemplate(usageTemplate)
	root.SetHelpTemplate(helpTemplate)
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if cmd == root {
			// The installed plugins are listed as the docker CLI lists them;
			// a plugin that cannot be listed leaves the built-in help.
			_ = plugin.AddStubs(root)
		}
		defaultHelp(cmd, args)
	})
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return command.StatusError{
			Status:     fmt.Sprintf("%s\n\nUsage:  %s\n\nRun '%s --help' for more information", err, cmd.UseLine(), cmd.CommandPath()),
			StatusCode: 125,
		}
	})
	root.PersistentFlags().BoolP("help", "h", false, "Print usage")
	_ = root.PersistentFlags().MarkShorthandDeprecated("help", "use --help")
	root.PersistentFlags().Lookup("help").Hidden = true
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about the command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if cmd == nil || err != nil || len(rest) > 0 {
				return fmt.Errorf("unknown help topic: %v", args)
			}
			return cmd.Help()
		},
		Hidden: true,
	})
}

func commandAliases(cmd *cobra.Command) string {
	if a := cmd.Annotations["aliases"]; a != "" {
		return a
	}
	parent := ""
	if cmd.HasParent() {
		parent = cmd.Parent().CommandPath() + " "
	}
	s := cmd.CommandPath()
	for _, a := range cmd.Aliases {
		s += ", " + parent + a
	}
	return s
}

// decoratedName is a command's name in help, with the docker CLI's `*`
// after a plugin's.
func decoratedName(cmd *cobra.Command) string {
	if plugin.IsStub(cmd) {
		return cmd.Name() + "*"
	}
	return cmd.Name() + " "
}

func invalidPlugins(cmd *cobra.Command) []*cobra.Command {
	var cmds []*cobra.Command
	for _, sub := range cmd.Commands() {
		if plugin.IsStub(sub) && plugin.Invalid(sub) != "" {
			cmds = append(cmds, sub)
		}
	}
	return cmds
}

func topCommands(cmd *cobra.Command) []*cobra.Command {
	var cmds []*cobra.Command
	if cmd.HasParent() {
		return cmds
	}
	for _, sub := range cmd.Commands() {
		if _, ok := sub.Annotations["category-top"]; ok && sub.IsAvailableCommand() {
			cmds = append(cmds, sub)
		}
	}
	sort.SliceStable(cmds, func(i, j int) bool {
		return atoi(cmds[i].Annotations["category-top"]) < atoi(cmds[j].Annotations["category-top"])
	})
	return cmds
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

func operationSubCommands(cmd *cobra.Command) []*cobra.Command {
	var cmds []*cobra.Command
	for _, sub := range cmd.Commands() {
		if plugin.IsStub(sub) {
			continue
		}
		if _, ok := sub.Annotations["category-top"]; ok && !cmd.HasParent() {
			continue
		}
		if sub.IsAvailableCommand() && !sub.HasSubCommands() {
			cmds = append(cmds, sub)
		}
	}
	return cmds
}

func managementSubCommands(cmd *cobra.Command) []*cobra.Command {
	var cmds []*cobra.Command
	for _, sub := range cmd.Commands() {
		if plugin.Invalid(sub) != "" {
			continue
		}
		if sub.IsAvailableCommand() && (sub.HasSubCommands() || plugin.IsStub(sub)) {
			cmds = append(cmds, sub)
		}
	}
	return cmds
}

func wrappedFlagUsages(cmd *cobra.Command) string {
	width := 80
	if ws, err := term.GetWinsize(0); err == nil && ws.Width > 0 {
		width = int(ws.Width)
	}
	return cmd.Flags().FlagUsagesWrapped(width - 1)
}

const usageTemplate = `Usage:

{{- if not .HasSubCommands}}  {{.UseLine}}{{end}}
{{- if .HasSubCommands}}  {{ .CommandPath}}{{- if .HasAvailableFlags}} [OPTIONS]{{end}} COMMAND{{end}}

{{if ne .Long ""}}{{ .Long | trim }}{{ else }}{{ .Short | trim }}{{end}}
{{- if hasAliases . }}

Aliases:
  {{ commandAliases . }}

{{- end}}
{{- if .HasExample}}

Examples:
{{ .Example }}

{{- end}}
{{- if .HasParent}}
{{- if .HasAvailableFlags}}

Options:
{{ wrappedFlagUsages . | trimRightSpace}}

{{- end}}
{{- end}}
{{- if hasTopCommands .}}

Common Commands:
{{- range topCommands .}}
  {{rpad (decoratedName .) (add .NamePadding 1)}}{{.Short}}
{{- end}}
{{- end}}
{{- if hasManagementSubCommands . }}

Management Commands:

{{- range managementSubCommands . }}
  {{rpad (decoratedName .) (add .NamePadding 1)}}{{.Short}}
{{- end}}

{{- end}}
{{- if hasSubCommands .}}

Commands:

{{- range operationSubCommands . }}
  {{rpad .Name .NamePadding }} {{.Short}}
{{- end}}
{{- end}}

{{- if hasInvalidPlugins . }}

Invalid Plugins:

{{- range invalidPlugins . }}
  {{rpad .Name .NamePadding }} {{invalidPluginReason .}}
{{- end}}

{{- end}}
{{- if not .HasParent}}
{{- if .HasAvailableFlags}}

Global Options:
{{ wrappedFlagUsages . | trimRightSpace}}

{{- end}}
{{- end}}

{{- if .HasSubCommands }}

Run '{{.CommandPath}} COMMAND --help' for more information on a command.
{{- end}}
`

const helpTemplate = `{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}`
