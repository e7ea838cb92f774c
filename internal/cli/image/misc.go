package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/format"
	"github.com/tug-project/tug/internal/cli/opts"
)

func newInspectCommand(c *command.Cli) *cobra.Command {
	var fmtStr string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] IMAGE [IMAGE...]",
		Short: "Display detailed information on one or more images",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return command.Inspect(cmd.Context(), c, fmtStr, args, func(ctx context.Context, ref string) (any, []byte, error) {
				return InspectOne(ctx, c, ref)
			})
		},
	}
	cmd.Flags().StringVarP(&fmtStr, "format", "f", "", format.InspectFormatHelp)
	return cmd
}

// InspectOne fetches one image's inspect document (typed and raw).
func InspectOne(ctx context.Context, c *command.Cli, ref string) (any, []byte, error) {
	var raw bytes.Buffer
	res, err := c.Client().ImageInspect(ctx, ref, client.ImageInspectWithRawResponse(&raw))
	if err != nil {
		return nil, nil, err
	}
	return res.InspectResponse, raw.Bytes(), nil
}

func newTagCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := c.Client().ImageTag(cmd.Context(), client.ImageTagOptions{Source: args[0], Target: args[1]})
			if err != nil && strings.HasPrefix(err.Error(), "error parsing reference") {
				return errors.New("E" + strings.TrimPrefix(err.Error(), "e"))
			}
			return err
		},
		Annotations: map[string]string{"aliases": "tug image tag, tug tag"},
	}
}

func newRmiCommand(c *command.Cli) *cobra.Command {
	var force, noPrune bool
	cmd := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.ImageRemoveOptions{Force: force, PruneChildren: !noPrune}
			var errs []string
			fatal := false
			for _, img := range args {
				res, err := c.Client().ImageRemove(cmd.Context(), img, opts)
				if err != nil {
					if !force || !cerrdefs.IsNotFound(err) {
						fatal = true
					}
					errs = append(errs, command.ErrorText(err, c.Host()))
					continue
				}
				for _, d := range res.Items {
					if d.Deleted != "" {
						fmt.Fprintf(c.Out(), "Deleted: %s\n", d.Deleted)
					} else {
						fmt.Fprintf(c.Out(), "Untagged: %s\n", d.Untagged)
					}
				}
			}
			if len(errs) > 0 {
				msg := strings.Join(errs, "\n")
				if fatal {
					return errors.New(msg)
				}
				fmt.Fprintln(c.Err(), msg)
			}
			return nil
		},
		Annotations: map[string]string{"aliases": "tug image rm, tug image remove, tug rmi"},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force removal of the image")
	cmd.Flags().BoolVar(&noPrune, "no-prune", false, "Do not delete untagged parents")
	return cmd
}

func newSaveCommand(c *command.Cli) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && c.Out().IsTerminal() {
				return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			if output != "" {
				if err := checkWritable(output); err != nil {
					return err
				}
			}
			body, err := c.Client().ImageSave(cmd.Context(), args)
			if err != nil {
				return err
			}
			defer body.Close()
			if output == "" {
				_, err = io.Copy(c.Out(), body)
				return err
			}
			return copyToFile(output, body)
		},
		Annotations: map[string]string{"aliases": "tug image save, tug save"},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

func checkWritable(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("failed to save image: invalid output path: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("failed to save image: invalid output path: %q is not a directory", dir)
	}
	return nil
}

// copyToFile writes r to path atomically (temp file in the same
// directory, then rename).
func copyToFile(path string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tug_temp_")
	if err != nil {
		return fmt.Errorf("failed to create file: %w", err)
	}
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("failed to save image: %w", err)
	}
	return nil
}

func newLoadCommand(c *command.Cli) *cobra.Command {
	var input string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = c.In()
			if input != "" {
				f, err := os.Open(input)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			} else if c.In().IsTerminal() {
				return errors.New("requested load from stdin, but stdin is empty")
			}
			body, err := c.Client().ImageLoad(cmd.Context(), in, client.ImageLoadWithQuiet(quiet || !c.Out().IsTerminal()))
			if err != nil {
				return err
			}
			defer body.Close()
			return command.DisplayJSONMessages(body, c.Out())
		},
		Annotations: map[string]string{"aliases": "tug image load, tug load"},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress the load output")
	return cmd
}

func newImportCommand(c *command.Cli) *cobra.Command {
	var changes []string
	var message, platform string
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := args[0]
			ref := ""
			if len(args) > 1 {
				ref = args[1]
			}
			var source client.ImageImportSource
			switch {
			case src == "-":
				source = client.ImageImportSource{Source: c.In(), SourceName: "-"}
			case strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://"):
				source = client.ImageImportSource{SourceName: src}
			default:
				f, err := os.Open(src)
				if err != nil {
					return err
				}
				defer f.Close()
				source = client.ImageImportSource{Source: f, SourceName: "-"}
			}
			p, err := opts.Platform(platform)
			if err != nil {
				return err
			}
			io := client.ImageImportOptions{Message: message, Changes: changes}
			if p != nil {
				io.Platform = *p
			}
			body, err := c.Client().ImageImport(cmd.Context(), source, ref, io)
			if err != nil {
				return err
			}
			defer body.Close()
			return command.DisplayJSONMessages(body, c.Out())
		},
		Annotations: map[string]string{"aliases": "tug image import, tug import"},
	}
	flags := cmd.Flags()
	flags.VarP(opts.NewList(&changes, "list"), "change", "c", "Apply Dockerfile instruction to the created image")
	flags.StringVarP(&message, "message", "m", "", "Set commit message for imported image")
	flags.StringVar(&platform, "platform", os.Getenv("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
	return cmd
}

func newPullCommand(c *command.Cli) *cobra.Command {
	var all, quiet bool
	var platform string
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			named, err := transferRef(c, args[0], all, quiet)
			if err != nil {
				return err
			}
			p, err := opts.Platform(platform)
			if err != nil {
				return err
			}
			var out io.Writer = c.Out()
			if quiet {
				out = io.Discard
			}
			if err := command.PullImage(cmd.Context(), c, reference.FamiliarString(named), p, all, out); err != nil {
				return err
			}
			if !all {
				fmt.Fprintln(c.Out(), named.String())
			}
			return nil
		},
		Annotations: map[string]string{"aliases": "tug image pull, tug pull"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&all, "all-tags", "a", false, "Download all tagged images in the repository")
	flags.BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	flags.StringVar(&platform, "platform", os.Getenv("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
	return cmd
}

// transferRef is the reference pull and push work on: with --all-tags a
// bare name, otherwise a tagged one (":latest" added and announced, as
// docker does).
func transferRef(c *command.Cli, arg string, all, quiet bool) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(arg)
	if err != nil {
		return nil, err
	}
	if all && !reference.IsNameOnly(named) {
		return nil, errors.New("tag can't be used with --all-tags/-a")
	}
	if !all && reference.IsNameOnly(named) {
		named = reference.TagNameOnly(named)
		if t, ok := named.(reference.Tagged); ok && !quiet {
			fmt.Fprintf(c.Out(), "Using default tag: %s\n", t.Tag())
		}
	}
	return named, nil
}
