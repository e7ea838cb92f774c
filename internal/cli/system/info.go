package system

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/format"
)

func newInfoCommand(c *command.Cli) *cobra.Command {
	var fmtStr string
	cmd := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInfo(cmd.Context(), c, fmtStr)
		},
		Annotations: map[string]string{"category-top": "11", "aliases": "tug system info, tug info"},
	}
	cmd.Flags().StringVarP(&fmtStr, "format", "f", "", format.InspectFormatHelp)
	return cmd
}

func runInfo(ctx context.Context, c *command.Cli, fmtStr string) error {
	res, err := c.Client().Info(ctx, client.InfoOptions{})
	if fmtStr != "" {
		if err != nil {
			return err
		}
		f := fmtStr
		if f == format.JSONFormatKey {
			f = format.JSONFormat
		}
		tmpl, perr := format.Parse(f)
		if perr != nil {
			return command.StatusError{StatusCode: 64, Status: "template parsing error: " + perr.Error()}
		}
		if err := tmpl.Execute(c.Out(), res.Info); err != nil {
			return fmt.Errorf("template: %w", err)
		}
		fmt.Fprintln(c.Out())
		return nil
	}
	out := c.Out()
	fmt.Fprintln(out, "Client:")
	fmt.Fprintln(out, " Version:    "+command.Version)
	fmt.Fprintln(out, " Context:    default")
	fmt.Fprintln(out, " Debug Mode: false")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Server:")
	if err != nil {
		return err
	}
	PrintServerInfo(out, res.Info)
	return nil
}

// PrintServerInfo writes the Server section of `tug info` in docker's
// layout, leaving out what the daemon did not report.
func PrintServerInfo(w io.Writer, info system.Info) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	opt := func(label, value string) {
		if value != "" {
			p(" %s: %s", label, value)
		}
	}
	p(" Containers: %d", info.Containers)
	p("  Running: %d", info.ContainersRunning)
	p("  Paused: %d", info.ContainersPaused)
	p("  Stopped: %d", info.ContainersStopped)
	p(" Images: %d", info.Images)
	opt("Server Version", info.ServerVersion)
	opt("Storage Driver", info.Driver)
	for _, kv := range info.DriverStatus {
		p("  %s: %s", kv[0], kv[1])
	}
	opt("Logging Driver", info.LoggingDriver)
	opt("Cgroup Driver", info.CgroupDriver)
	opt("Cgroup Version", info.CgroupVersion)
	if len(info.Plugins.Volume)+len(info.Plugins.Network)+len(info.Plugins.Log)+len(info.Plugins.Authorization) > 0 {
		p(" Plugins:")
		if len(info.Plugins.Volume) > 0 {
			p("  Volume: %s", strings.Join(info.Plugins.Volume, " "))
		}
		if len(info.Plugins.Network) > 0 {
			p("  Network: %s", strings.Join(info.Plugins.Network, " "))
		}
		if len(info.Plugins.Authorization) > 0 {
			p("  Authorization: %s", strings.Join(info.Plugins.Authorization, " "))
		}
		if len(info.Plugins.Log) > 0 {
			p("  Log: %s", strings.Join(info.Plugins.Log, " "))
		}
	}
	if info.Swarm.LocalNodeState != "" {
		p(" Swarm: %s", info.Swarm.LocalNodeState)
	}
	if len(info.Runtimes) > 0 {
		names := make([]string, 0, len(info.Runtimes))
		for n := range info.Runtimes {
			names = append(names, n)
		}
		sort.Strings(names)
		p(" Runtimes: %s", strings.Join(names, " "))
	}
	opt("Default Runtime", info.DefaultRuntime)
	if info.OSType == "linux" {
		p(" Init Binary: %s", info.InitBinary)
		p(" containerd version: %s", info.ContainerdCommit.ID)
		p(" runc version: %s", info.RuncCommit.ID)
		p(" init version: %s", info.InitCommit.ID)
	}
	if len(info.SecurityOptions) > 0 {
		p(" Security Options:")
		for _, o := range info.SecurityOptions {
			parts := strings.Split(o, ",")
			for i, kv := range parts {
				k, v, _ := strings.Cut(kv, "=")
				if i == 0 {
					p("  %s", v)
					continue
				}
				if k == "profile" {
					k = "Profile"
				}
				p("   %s: %s", k, v)
			}
		}
	}
	opt("Kernel Version", info.KernelVersion)
	opt("Operating System", info.OperatingSystem)
	opt("OSType", info.OSType)
	opt("Architecture", info.Architecture)
	p(" CPUs: %d", info.NCPU)
	p(" Total Memory: %s", units.BytesSize(float64(info.MemTotal)))
	opt("Name", info.Name)
	opt("ID", info.ID)
	opt("Docker Root Dir", info.DockerRootDir)
	p(" Debug Mode: %v", info.Debug)
	opt("HTTP Proxy", info.HTTPProxy)
	opt("HTTPS Proxy", info.HTTPSProxy)
	opt("No Proxy", info.NoProxy)
	if len(info.Labels) > 0 {
		p(" Labels:")
		for _, l := range info.Labels {
			p("  %s", l)
		}
	}
	p(" Experimental: %v", info.ExperimentalBuild)
	if rc := info.RegistryConfig; rc != nil {
		if len(rc.InsecureRegistryCIDRs) > 0 || len(rc.IndexConfigs) > 0 {
			var insecure []string
			for _, cidr := range rc.InsecureRegistryCIDRs {
				insecure = append(insecure, cidr.String())
			}
			for name, ic := range rc.IndexConfigs {
				if ic != nil && !ic.Secure && name != "" {
					insecure = append(insecure, name)
				}
			}
			sort.Strings(insecure)
			if len(insecure) > 0 {
				p(" Insecure Registries:")
				for _, r := range insecure {
					p("  %s", r)
				}
			}
		}
		if len(rc.Mirrors) > 0 {
			p(" Registry Mirrors:")
			for _, m := range rc.Mirrors {
				p("  %s", m)
			}
		}
	}
	p(" Live Restore Enabled: %v", info.LiveRestoreEnabled)
	fmt.Fprintln(w)
	if len(info.Warnings) > 0 {
		fmt.Fprintln(w)
		for _, wn := range info.Warnings {
			fmt.Fprintln(w, wn)
		}
	}
}
