package image

import (
	"context"
	"time"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/format"
	"github.com/tug-project/tug/internal/cli/opts"
)

type imagesOptions struct {
	matchName string
	quiet     bool
	all       bool
	noTrunc   bool
	digests   bool
	format    string
	filters   []string
}

func newImagesCommand(c *command.Cli) *cobra.Command {
	var o imagesOptions
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  command.RequiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				o.matchName = args[0]
			}
			return runImages(cmd.Context(), c, &o)
		},
		Annotations: map[string]string{"aliases": "tug image ls, tug image list, tug images"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&o.quiet, "quiet", "q", false, "Only show image IDs")
	flags.BoolVarP(&o.all, "all", "a", false, "Show all images (default hides intermediate images)")
	flags.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	flags.BoolVar(&o.digests, "digests", false, "Show digests")
	flags.StringVar(&o.format, "format", "", format.ListFormatHelp)
	flags.VarP(opts.NewList(&o.filters, "filter"), "filter", "f", "Filter output based on conditions provided")
	return cmd
}

// ImagesFormat picks the template for docker images's options.
func ImagesFormat(userFormat string, quiet, digests bool) string {
	switch {
	case quiet:
		return format.QuietIDFormat
	case userFormat == "" || userFormat == format.TableFormatKey:
		if digests {
			return format.DefaultImageTableDigests
		}
		return format.DefaultImageTable
	case userFormat == format.JSONFormatKey:
		return format.JSONFormat
	}
	return userFormat
}

func runImages(ctx context.Context, c *command.Cli, o *imagesOptions) error {
	f, err := opts.Filters(o.filters)
	if err != nil {
		return err
	}
	if o.matchName != "" {
		f.Add("reference", o.matchName)
	}
	res, err := c.Client().ImageList(ctx, client.ImageListOptions{All: o.all, Filters: f})
	if err != nil {
		return err
	}
	rows := format.ImageRows(res.Items, !o.noTrunc, o.digests, time.Now())
	items := make([]any, 0, len(rows))
	for _, r := range rows {
		items = append(items, r)
	}
	fctx := format.Context{Output: c.Out(), Format: format.Format(ImagesFormat(o.format, o.quiet, o.digests)), Trunc: !o.noTrunc}
	return fctx.Write(format.ImageHeader, items)
}
