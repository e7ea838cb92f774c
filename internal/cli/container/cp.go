package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/cp"
)

type cpOptions struct {
	followLink bool
	copyUIDGID bool
	quiet      bool
}

func newCpCommand(c *command.Cli) *cobra.Command {
	var o cpOptions
	cmd := &cobra.Command{
		Use: `cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
	tug cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH`,
		Short: "Copy files/folders between a container and the local filesystem",
		Long: `Copy files/folders between a container and the local filesystem

Use '-' as the source to read a tar archive from stdin
and extract it to a directory destination in a container.
Use '-' as the destination to stream a tar archive of a
container source to stdout.`,
		Args: command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCp(cmd.Context(), c, &o, args[0], args[1])
		},
		Annotations: map[string]string{"aliases": "tug container cp, tug cp"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&o.followLink, "follow-link", "L", false, "Always follow symbol link in SRC_PATH")
	flags.BoolVarP(&o.copyUIDGID, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	flags.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached")
	return cmd
}

// splitCpArg splits "container:path"; absolute paths and paths starting
// with "." are local even with a colon in them.
func splitCpArg(arg string) (container, path string) {
	if filepath.IsAbs(arg) {
		return "", arg
	}
	ctr, p, ok := strings.Cut(arg, ":")
	if !ok || strings.HasPrefix(ctr, ".") {
		return "", arg
	}
	return ctr, p
}

func runCp(ctx context.Context, c *command.Cli, o *cpOptions, src, dst string) error {
	srcCtr, srcPath := splitCpArg(src)
	dstCtr, dstPath := splitCpArg(dst)
	switch {
	case srcPath == "":
		return errors.New("source can not be empty")
	case dstPath == "":
		return errors.New("destination can not be empty")
	case srcCtr == "" && dstCtr == "":
		return errors.New("must specify at least one container source")
	case srcCtr != "" && dstCtr != "":
		return errors.New("copying between containers is not supported")
	case srcCtr != "":
		return copyFromContainer(ctx, c, o, srcCtr, srcPath, dstPath)
	default:
		return copyToContainer(ctx, c, o, srcPath, dstCtr, dstPath)
	}
}

// resolveLocalPath makes a local path absolute, keeping a trailing "/." or "/".
func resolveLocalPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return cp.PreserveTrailingDotOrSeparator(abs, p), nil
}

func copyFromContainer(ctx context.Context, c *command.Cli, o *cpOptions, ctr, srcPath, dstPath string) error {
	if dstPath != "-" {
		var err error
		if dstPath, err = resolveLocalPath(dstPath); err != nil {
			return err
		}
	}
	cl := c.Client()
	var rebase string
	if o.followLink {
		st, err := cl.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: srcPath})
		if err == nil && st.Stat.Mode&os.ModeSymlink != 0 {
			target := st.Stat.LinkTarget
			if !filepath.IsAbs(target) {
				parent, _ := cp.SplitPathDirEntry(srcPath)
				target = filepath.Join(parent, target)
			}
			target, rebase = cp.RebaseName(srcPath, target)
			srcPath = target
		}
	}
	res, err := cl.CopyFromContainer(ctx, ctr, client.CopyFromContainerOptions{SourcePath: srcPath})
	if err != nil {
		return err
	}
	defer res.Content.Close()
	if dstPath == "-" {
		_, err := io.Copy(c.Out(), res.Content)
		return err
	}
	src := cp.Info{Path: srcPath, Exists: true, IsDir: res.Stat.Mode.IsDir(), RebaseName: rebase}
	var content io.ReadCloser = res.Content
	if rebase != "" {
		_, base := cp.SplitPathDirEntry(srcPath)
		content = cp.Rebase(content, base, rebase)
		defer content.Close()
	}
	dst, err := cp.DestinationInfo(dstPath)
	if err != nil {
		return err
	}
	plan, err := cp.PrepareArchiveCopy(src, dst)
	if err != nil {
		return err
	}
	rebased := cp.Rebase(content, plan.OldBase, plan.NewBase)
	defer rebased.Close()
	return cp.Untar(rebased, plan.Dir)
}

func copyToContainer(ctx context.Context, c *command.Cli, o *cpOptions, srcPath, ctr, dstPath string) error {
	if srcPath != "-" {
		var err error
		if srcPath, err = resolveLocalPath(srcPath); err != nil {
			return err
		}
	}
	cl := c.Client()
	dst := cp.Info{Path: dstPath}
	st, err := cl.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: dstPath})
	if err == nil && st.Stat.Mode&os.ModeSymlink != 0 {
		target := st.Stat.LinkTarget
		if !filepath.IsAbs(target) {
			parent, _ := cp.SplitPathDirEntry(dstPath)
			target = filepath.Join(parent, target)
		}
		dst.Path = target
		st, err = cl.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: target})
	}
	if err == nil {
		if m := st.Stat.Mode; !m.IsDir() && !m.IsRegular() {
			return fmt.Errorf("destination \"%s:%s\" must be a directory or a regular file", ctr, dstPath)
		}
		dst.Exists, dst.IsDir = true, st.Stat.Mode.IsDir()
	}

	var content io.Reader
	var target string
	if srcPath == "-" {
		if !dst.IsDir {
			return fmt.Errorf("destination \"%s:%s\" must be a directory", ctr, dstPath)
		}
		content, target = c.In(), dst.Path
	} else {
		src, err := cp.SourceInfo(srcPath, o.followLink)
		if err != nil {
			return err
		}
		archive := cp.Tar(src)
		defer archive.Close()
		plan, err := cp.PrepareArchiveCopy(src, dst)
		if err != nil {
			return err
		}
		rebased := cp.Rebase(archive, plan.OldBase, plan.NewBase)
		defer rebased.Close()
		content, target = rebased, plan.Dir
	}
	_, err = cl.CopyToContainer(ctx, ctr, client.CopyToContainerOptions{
		DestinationPath: target,
		Content:         content,
		CopyUIDGID:      o.copyUIDGID,
	})
	return err
}
