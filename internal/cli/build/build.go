package build

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
)

type options struct {
	tags      []string
	file      string
	buildArgs []string
	labels    []string
	target    string
	noCache   bool
	pull      bool
	quiet     bool
	iidfile   string
	network   string
	progress  string
	addHosts  []string
	cacheFrom []string
}

// NewBuildCommand returns `tug build`.
func NewBuildCommand(c *command.Cli) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] PATH | URL | -",
		Short: "Build an image from a Dockerfile",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd.Context(), c, o, args[0])
		},
		Annotations: map[string]string{"category-top": "4", "aliases": "tug image build, tug build, tug builder build"},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.tags, "tag", "t", nil, `Name and optionally a tag in the "name:tag" format`)
	f.StringVarP(&o.file, "file", "f", "", `Name of the Dockerfile (Default is "PATH/Dockerfile")`)
	f.StringArrayVar(&o.buildArgs, "build-arg", nil, "Set build-time variables")
	f.StringArrayVar(&o.labels, "label", nil, "Set metadata for an image")
	f.StringVar(&o.target, "target", "", "Set the target build stage to build.")
	f.BoolVar(&o.noCache, "no-cache", false, "Do not use cache when building the image")
	f.BoolVar(&o.pull, "pull", false, "Always attempt to pull a newer version of the image")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	f.StringVar(&o.iidfile, "iidfile", "", "Write the image ID to the file")
	f.StringVar(&o.network, "network", "default", "Set the networking mode for the RUN instructions during build")
	f.StringSliceVar(&o.addHosts, "add-host", nil, `Add a custom host-to-IP mapping ("host:ip")`)
	f.StringSliceVar(&o.cacheFrom, "cache-from", nil, "Images to consider as cache sources (refused by tugd)")
	f.StringVar(&o.progress, "progress", "auto", `Set type of progress output ("auto", "plain", "tty")`)
	f.Bool("rm", true, "Remove intermediate containers after a successful build")
	f.Bool("force-rm", false, "Always remove intermediate containers")
	return cmd
}

// NewBuilderCommand returns `tug builder` (build and prune).
func NewBuilderCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "builder",
		Short: "Manage builds",
		Args:  command.NoArgs,
		RunE:  command.ShowHelp(c),
	}
	b := NewBuildCommand(c)
	b.Annotations = map[string]string{}
	var all, force bool
	prune := &cobra.Command{
		Use:   "prune",
		Short: "Remove build cache",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				fmt.Fprint(c.Out(), "WARNING! This will remove all dangling build cache.\nAre you sure you want to continue? [y/N] ")
				line, _ := bufio.NewReader(c.In()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					return nil
				}
			}
			res, err := c.Client().BuildCachePrune(cmd.Context(), client.BuildCachePruneOptions{All: all})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Out(), "Total reclaimed space: %s\n", humanSize(int64(res.Report.SpaceReclaimed)))
			return nil
		},
	}
	prune.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused build cache, not just dangling ones")
	prune.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.AddCommand(b, prune)
	return cmd
}

func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

// buildContext returns the context tar stream and the Dockerfile's name in it.
func buildContext(c *command.Cli, o options, path string) (io.ReadCloser, string, error) {
	if isURL(path) {
		return nil, "", errors.New("unable to prepare context: remote build contexts are not supported by tug")
	}
	if path == "-" {
		if o.file == "-" {
			return nil, "", errors.New("invalid argument: can't use stdin for both build context and dockerfile")
		}
		br := bufio.NewReaderSize(c.In(), 64<<10)
		head, _ := br.Peek(512)
		if isArchive(head) {
			return io.NopCloser(br), o.file, nil
		}
		df, err := io.ReadAll(br)
		if err != nil {
			return nil, "", err
		}
		return tarOf(map[string][]byte{"Dockerfile": df}), "Dockerfile", nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("unable to prepare context: path %q not found", path)
	}
	if !fi.IsDir() {
		return nil, "", fmt.Errorf("unable to prepare context: context must be a directory: %s", path)
	}
	dir, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	extra := map[string][]byte{}
	var dfName, dfPath string
	switch {
	case o.file == "-":
		df, err := io.ReadAll(c.In())
		if err != nil {
			return nil, "", err
		}
		dfName = randomName()
		extra[dfName] = df
	case o.file == "":
		dfName, dfPath = "Dockerfile", filepath.Join(dir, "Dockerfile")
		if _, err := os.Stat(dfPath); err != nil {
			if _, lerr := os.Stat(filepath.Join(dir, "dockerfile")); lerr == nil {
				dfName, dfPath = "dockerfile", filepath.Join(dir, "dockerfile")
			} else {
				return nil, "", fmt.Errorf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat %s: no such file or directory", dfPath)
			}
		}
	default:
		p, err := filepath.Abs(o.file)
		if err != nil {
			return nil, "", err
		}
		dfPath = p
		rel, err := filepath.Rel(dir, p)
		if err == nil && !strings.HasPrefix(rel, "..") {
			dfName = filepath.ToSlash(rel)
		} else {
			df, err := os.ReadFile(p)
			if err != nil {
				return nil, "", fmt.Errorf("unable to prepare context: %w", err)
			}
			dfName = randomName()
			extra[dfName] = df
		}
	}
	excludes, err := readIgnore(dir, dfPath)
	if err != nil {
		return nil, "", err
	}
	if dfPath != "" {
		// The daemon reads <Dockerfile>.dockerignore as .dockerignore of the context.
		if b, err := os.ReadFile(dfPath + ".dockerignore"); err == nil {
			extra[dfName+".dockerignore"] = b
		}
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(writeContext(pw, dir, excludes, []string{dfName, ".dockerignore"}, extra))
	}()
	return pr, dfName, nil
}

func tarOf(files map[string][]byte) io.ReadCloser {
	var buf bytes.Buffer
	_ = writeContext(&buf, os.DevNull, nil, nil, files)
	return io.NopCloser(&buf)
}

func runBuild(ctx context.Context, c *command.Cli, o options, path string) error {
	buildArgs := map[string]*string{}
	for _, a := range o.buildArgs {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			if ev, set := os.LookupEnv(k); set {
				buildArgs[k] = &ev
			} else {
				buildArgs[k] = nil
			}
			continue
		}
		buildArgs[k] = &v
	}
	labels := map[string]string{}
	for _, l := range o.labels {
		k, v, _ := strings.Cut(l, "=")
		labels[k] = v
	}
	network := o.network
	if network == "default" {
		network = ""
	}
	bopts := client.ImageBuildOptions{
		Tags:           o.tags,
		BuildArgs:      buildArgs,
		Labels:         labels,
		Target:         o.target,
		NoCache:        o.noCache,
		PullParent:     o.pull,
		SuppressOutput: o.quiet,
		NetworkMode:    network,
		ExtraHosts:     o.addHosts,
		CacheFrom:      o.cacheFrom,
		Remove:         true,
		Version:        build.BuilderV1,
		AuthConfigs:    command.AllAuths(c),
	}
	var res client.ImageBuildResult
	var err error
	direct, ok := directContext(ctx, c, o, path) // direct.go
	if ok {
		bopts.Dockerfile = direct.dfName
		defer direct.client.Close()
		res, err = direct.client.ImageBuild(ctx, emptyBody(), bopts)
		if err != nil && !isContextDirError(err) {
			return err
		}
		ok = err == nil // else: tugd cannot use the directory; send a tar
	}
	if !ok {
		body, dfName, err := buildContext(c, o, path)
		if err != nil {
			return err
		}
		defer body.Close()
		bopts.Dockerfile = dfName
		if res, err = c.Client().ImageBuild(ctx, body, bopts); err != nil {
			return err
		}
	}
	defer res.Body.Close()
	var progress bytes.Buffer
	out := io.Writer(c.Out())
	if o.quiet {
		out = &progress
	}
	var r renderer = &classic{w: out}
	if o.progress == "plain" {
		r = &plain{w: out}
	}
	id := ""
	dec := json.NewDecoder(res.Body)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		switch {
		case m.Error != nil:
			r.flush()
			if o.quiet {
				fmt.Fprint(c.Err(), progress.String())
			}
			code := m.Error.Code
			if code == 0 {
				code = 1
			}
			return command.StatusError{Status: m.Error.Message, StatusCode: code}
		case m.Aux != nil:
			var aux struct{ ID string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		case m.Stream != "":
			r.stream(m.Stream)
		}
	}
	r.flush()
	if id == "" {
		return errors.New("build finished without an image ID")
	}
	if o.quiet {
		fmt.Fprintln(c.Out(), id)
	}
	if o.iidfile != "" {
		if err := os.WriteFile(o.iidfile, []byte(id), 0o644); err != nil {
			return fmt.Errorf("failed to write image ID to file: %w", err)
		}
	}
	return nil
}

type renderer interface {
	stream(s string)
	flush()
}

// classic prints the daemon's stream as is (the classic builder's output).
type classic struct{ w io.Writer }

func (c *classic) stream(s string) { fmt.Fprint(c.w, s) }
func (c *classic) flush()          {}

// plain renders the classic stream the way BuildKit's plain progress
// reads: "#N [i/n] INSTRUCTION", output lines prefixed "#N", and
// "#N CACHED" or "#N DONE" when the step ends.
type plain struct {
	w       io.Writer
	partial string
	step    int
	cached  bool
}

var stepRe = regexp.MustCompile(`^Step (\d+)/(\d+) : (.*)$`)

func (p *plain) stream(s string) {
	s = p.partial + s
	lines := strings.Split(s, "\n")
	p.partial = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		p.line(l)
	}
}

func (p *plain) endStep() {
	if p.step == 0 {
		return
	}
	if p.cached {
		fmt.Fprintf(p.w, "#%d CACHED\n\n", p.step)
	} else {
		fmt.Fprintf(p.w, "#%d DONE\n\n", p.step)
	}
	p.step, p.cached = 0, false
}

func (p *plain) line(l string) {
	if m := stepRe.FindStringSubmatch(l); m != nil {
		p.endStep()
		fmt.Sscan(m[1], &p.step)
		fmt.Fprintf(p.w, "#%s [%s/%s] %s\n", m[1], m[1], m[2], m[3])
		return
	}
	switch {
	case l == " ---> Using cache":
		p.cached = true
	case strings.HasPrefix(l, " ---> "), strings.HasPrefix(l, "Removing intermediate container"):
	case strings.HasPrefix(l, "Successfully built "), strings.HasPrefix(l, "Successfully tagged "):
		p.endStep()
		fmt.Fprintf(p.w, "#0 %s\n", l)
	default:
		if p.step > 0 {
			fmt.Fprintf(p.w, "#%d %s\n", p.step, l)
		} else {
			fmt.Fprintln(p.w, l)
		}
	}
}

func (p *plain) flush() {
	if p.partial != "" {
		p.line(p.partial)
		p.partial = ""
	}
	p.endStep()
}
