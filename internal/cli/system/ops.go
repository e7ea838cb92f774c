package system

import (
	"fmt"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
	clicontainer "github.com/tug-project/tug/internal/cli/container"
	"github.com/tug-project/tug/internal/cli/format"
	cliimage "github.com/tug-project/tug/internal/cli/image"
	"github.com/tug-project/tug/internal/cli/opts"
)

// dfRow is one line of `system df`.
type dfRow struct {
	Type        string
	TotalCount  string
	Active      string
	Size        string
	Reclaimable string
}

func newDFRow(typ string, total, active, size, reclaimable int64) dfRow {
	r := dfRow{Type: typ, TotalCount: fmt.Sprint(total), Active: fmt.Sprint(active), Size: units.HumanSize(float64(size))}
	r.Reclaimable = units.HumanSize(float64(reclaimable))
	if size > 0 {
		r.Reclaimable = fmt.Sprintf("%s (%v%%)", r.Reclaimable, int(100*reclaimable/size))
	}
	return r
}

const dfTable = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"

func newDFCommand(c *command.Cli) *cobra.Command {
	var verbose bool
	var fmtFlag string
	cmd := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show docker disk usage",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			du, err := c.Client().DiskUsage(cmd.Context(), client.DiskUsageOptions{Containers: true, Images: true, Volumes: true, BuildCache: true, Verbose: verbose})
			if err != nil {
				return err
			}
			if verbose {
				return dfVerbose(c, du)
			}
			rows := []any{
				newDFRow("Images", du.Images.TotalCount, du.Images.ActiveCount, du.Images.TotalSize, du.Images.Reclaimable),
				newDFRow("Containers", du.Containers.TotalCount, du.Containers.ActiveCount, du.Containers.TotalSize, du.Containers.Reclaimable),
				newDFRow("Local Volumes", du.Volumes.TotalCount, du.Volumes.ActiveCount, du.Volumes.TotalSize, du.Volumes.Reclaimable),
				newDFRow("Build Cache", du.BuildCache.TotalCount, du.BuildCache.ActiveCount, du.BuildCache.TotalSize, du.BuildCache.Reclaimable),
			}
			f := fmtFlag
			switch {
			case f == "" || f == "table":
				f = dfTable
			case f == "json":
				f = "{{json .}}"
			}
			return format.Context{Output: c.Out(), Format: format.Format(f)}.Write(format.HeaderContext{
				"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE",
			}, rows)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	cmd.Flags().StringVar(&fmtFlag, "format", "", format.ListFormatHelp)
	return cmd
}

// dfVerbose prints `system df -v`: each object with its sizes.
func dfVerbose(c *command.Cli, du client.DiskUsageResult) error {
	out := c.Out()
	now := time.Now()
	fmt.Fprintln(out, "Images space usage:")
	fmt.Fprintln(out)
	var rows []any
	for _, img := range du.Images.Items {
		repo, tag := "<none>", "<none>"
		if len(img.RepoTags) > 0 {
			if i := strings.LastIndex(img.RepoTags[0], ":"); i > strings.LastIndex(img.RepoTags[0], "/") {
				repo, tag = img.RepoTags[0][:i], img.RepoTags[0][i+1:]
			}
		}
		rows = append(rows, map[string]string{
			"Repository": repo, "Tag": tag, "ID": format.TruncateID(img.ID),
			"Created":    units.HumanDuration(now.Sub(time.Unix(img.Created, 0))) + " ago",
			"Size":       units.HumanSizeWithPrecision(float64(img.Size), 3),
			"SharedSize": units.HumanSizeWithPrecision(float64(img.SharedSize), 3),
			"UniqueSize": units.HumanSizeWithPrecision(float64(img.Size-img.SharedSize), 3),
			"Containers": fmt.Sprint(img.Containers),
		})
	}
	if err := (format.Context{Output: out, Format: "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}"}).Write(format.HeaderContext{
		"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "Created": "CREATED", "Size": "SIZE", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE", "Containers": "CONTAINERS",
	}, rows); err != nil {
		return err
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Containers space usage:")
	fmt.Fprintln(out)
	rows = nil
	for _, ct := range du.Containers.Items {
		name := ""
		if len(ct.Names) > 0 {
			name = strings.TrimPrefix(ct.Names[0], "/")
		}
		rows = append(rows, map[string]string{
			"ID": format.TruncateID(ct.ID), "Image": ct.Image, "Command": format.Ellipsis(`"`+ct.Command+`"`, 20),
			"LocalVolumes": "0", "Size": units.HumanSizeWithPrecision(float64(ct.SizeRw), 3),
			"Created": units.HumanDuration(now.Sub(time.Unix(ct.Created, 0))) + " ago", "Status": ct.Status, "Names": name,
		})
	}
	if err := (format.Context{Output: out, Format: "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.Created}}\t{{.Status}}\t{{.Names}}"}).Write(format.HeaderContext{
		"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "LocalVolumes": "LOCAL VOLUMES", "Size": "SIZE", "Created": "CREATED", "Status": "STATUS", "Names": "NAMES",
	}, rows); err != nil {
		return err
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Local Volumes space usage:")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "VOLUME NAME   LINKS     SIZE")
	fmt.Fprintln(out)
	fmt.Fprintf(out, "Build cache usage: %s\n\n", units.HumanSize(float64(du.BuildCache.TotalSize)))
	rows = nil
	for _, b := range du.BuildCache.Items {
		rows = append(rows, map[string]string{"ID": b.ID, "Type": b.Type, "Size": units.HumanSizeWithPrecision(float64(b.Size), 3), "Shared": fmt.Sprint(b.Shared)})
	}
	return format.Context{Output: out, Format: "table {{.ID}}\t{{.Type}}\t{{.Size}}\t{{.Shared}}"}.Write(format.HeaderContext{
		"ID": "CACHE ID", "Type": "CACHE TYPE", "Size": "SIZE", "Shared": "SHARED",
	}, rows)
}

func newPruneCommand(c *command.Cli) *cobra.Command {
	var force, all, volumes bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused data",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			images := "  - all dangling images\n  - unused build cache"
			if all {
				images = "  - all images without at least one container associated to them\n  - all build cache"
			}
			vols := ""
			if volumes {
				vols = "  - all anonymous volumes not used by at least one container\n"
			}
			warning := "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n" + vols + images + "\n"
			if !force && !command.Confirm(c, warning) {
				return nil
			}
			f, err := opts.Filters(filters)
			if err != nil {
				return err
			}
			var total uint64
			out, n, err := clicontainer.PruneContainers(cmd, c, f)
			if err != nil {
				return err
			}
			total += n
			if out != "" {
				fmt.Fprintln(c.Out(), out)
			}
			nres, err := c.Client().NetworkPrune(cmd.Context(), client.NetworkPruneOptions{Filters: f})
			if err != nil {
				return err
			}
			if len(nres.Report.NetworksDeleted) > 0 {
				fmt.Fprintln(c.Out(), "Deleted Networks:\n"+strings.Join(nres.Report.NetworksDeleted, "\n")+"\n")
			}
			if volumes {
				vres, err := c.Client().VolumePrune(cmd.Context(), client.VolumePruneOptions{Filters: f.Clone()})
				if err != nil {
					return err
				}
				if len(vres.Report.VolumesDeleted) > 0 {
					fmt.Fprintln(c.Out(), "Deleted Volumes:\n"+strings.Join(vres.Report.VolumesDeleted, "\n")+"\n")
				}
				total += vres.Report.SpaceReclaimed
			}
			out, n, err = cliimage.PruneImages(cmd, c, f.Clone(), all)
			if err != nil {
				return err
			}
			total += n
			if out != "" {
				fmt.Fprintln(c.Out(), out)
			}
			bres, err := c.Client().BuildCachePrune(cmd.Context(), client.BuildCachePruneOptions{All: all})
			if err != nil {
				return err
			}
			total += bres.Report.SpaceReclaimed
			fmt.Fprintln(c.Out(), command.ReclaimedSpace(total))
			return nil
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&all, "all", "a", false, "Remove all unused images not just dangling ones")
	flags.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	flags.BoolVar(&volumes, "volumes", false, "Prune anonymous volumes")
	flags.Var(opts.NewList(&filters, "filter"), "filter", `Provide filter values (e.g. "label=<key>=<value>")`)
	return cmd
}
