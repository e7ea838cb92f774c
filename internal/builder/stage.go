package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/sys/signal"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/builder/cache"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/snapshot/overlay"
	"github.com/tug-project/tug/internal/stringid"
)

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

var defaultShell = []string{"/bin/sh", "-c"}

// state is a stage's image so far.
type state struct {
	cfg    dockerspec.DockerOCIImage
	id     digest.Digest // "" while on scratch with no step committed
	layers []image.Layer
	args   map[string]*string // ARGs declared in the stage, with their values
	cmdSet bool               // CMD given in this stage (ENTRYPOINT then keeps it)
}

func (st *state) clone() *state {
	c := &state{id: st.id, layers: slices.Clone(st.layers), args: map[string]*string{}, cmdSet: st.cmdSet}
	b, _ := json.Marshal(st.cfg)
	_ = json.Unmarshal(b, &c.cfg)
	for k, v := range st.args {
		c.args[k] = v
	}
	return c
}

func (st *state) chain() digest.Digest {
	ids := overlay.ChainIDs(st.cfg.RootFS.DiffIDs)
	if len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}

func (st *state) shell() []string {
	if len(st.cfg.Config.Shell) > 0 {
		return st.cfg.Config.Shell
	}
	return defaultShell
}

// buildArgs are the "k=v" build args the stage's steps see: declared ARGs
// with a value, except those an ENV overrides. Sorted.
func (j *job) buildArgs(st *state) []string {
	env := map[string]bool{}
	for _, kv := range st.cfg.Config.Env {
		k, _, _ := strings.Cut(kv, "=")
		env[k] = true
	}
	var out []string
	for k, v := range st.args {
		if v != nil && !env[k] {
			out = append(out, k+"="+*v)
		}
	}
	slices.Sort(out)
	return out
}

// proxyEnv are the predefined proxy args given with --build-arg.
func (j *job) proxyEnv(st *state) []string {
	var out []string
	for k, v := range j.opts.BuildArgs {
		if proxyArgs[k] && v != nil {
			if _, declared := st.args[k]; !declared {
				out = append(out, k+"="+*v)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (j *job) expansionEnv(st *state) []string {
	return append(slices.Clone(st.cfg.Config.Env), j.buildArgs(st)...)
}

func sourceOf(c any) string {
	if s, ok := c.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(c)
}

func (j *job) runStage(ctx context.Context, r *stageRun) error {
	w := stageWriter{o: j.out, stage: r.idx}
	s := &j.stages[r.idx]
	step := r.firstStep
	w.printf("Step %d/%d : %s\n", step, j.total, s.SourceCode)
	st, err := j.from(ctx, r, w)
	if err != nil {
		return err
	}
	if triggers := st.cfg.Config.OnBuild; len(triggers) > 0 {
		st.cfg.Config.OnBuild = nil
		plural := ""
		if len(triggers) > 1 {
			plural = "s"
		}
		w.printf("# Executing %d build trigger%s\n", len(triggers), plural)
		for _, t := range triggers {
			res, err := parser.Parse(strings.NewReader(t))
			if err != nil || len(res.AST.Children) != 1 {
				return buildError("invalid ONBUILD trigger %q: %v", t, err)
			}
			cmd, err := instructions.ParseCommand(res.AST.Children[0])
			if err != nil {
				return buildError("invalid ONBUILD trigger %q: %v", t, err)
			}
			if err := j.dispatch(ctx, r, st, cmd, w); err != nil {
				return err
			}
		}
	}
	for _, c := range s.Commands {
		step++
		w.printf("Step %d/%d : %s\n", step, j.total, sourceOf(c))
		if err := j.dispatch(ctx, r, st, c, w); err != nil {
			return err
		}
	}
	if r.idx == j.order[len(j.order)-1] && len(j.opts.Labels) > 0 {
		step++
		var kvs []string
		var lc instructions.LabelCommand
		for _, kv := range sortedKV(j.opts.Labels) {
			k, v, _ := strings.Cut(kv, "=")
			kvs = append(kvs, fmt.Sprintf("%q='%s'", k, v))
			lc.Labels = append(lc.Labels, instructions.KeyValuePair{Key: k, Value: v})
		}
		w.printf("Step %d/%d : LABEL %s\n", step, j.total, strings.Join(kvs, " "))
		if err := j.dispatch(ctx, r, st, &lc, w); err != nil {
			return err
		}
	}
	r.st = st
	return nil
}

// Puller fetches an image missing from the store; a Runner may implement it.
type Puller interface {
	PullImage(ctx context.Context, ref reference.Named) error
}

// baseImage returns the image ref names, pulling it if needed (or asked).
func (j *job) baseImage(ctx context.Context, ref string) (*image.Image, error) {
	img, err := j.b.images.Get(ctx, ref)
	if err == nil && !j.opts.Pull {
		return img, nil
	}
	if p, ok := j.b.runner.(Puller); ok {
		if perr := pull(ctx, p, ref); perr == nil {
			return j.b.images.Get(ctx, ref)
		} else if err != nil {
			return nil, fmt.Errorf("pulling %s: %w", ref, perr)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pull access denied for %s, repository does not exist or may require 'docker login': %w", ref, errdefs.ErrNotFound)
	}
	return img, nil
}

// pull parses the FROM reference once and hands it to the puller whole.
func pull(ctx context.Context, p Puller, ref string) error {
	named, err := image.Normalize(ref)
	if err != nil {
		return err
	}
	return p.PullImage(ctx, named)
}

func (j *job) from(ctx context.Context, r *stageRun, w stageWriter) (*state, error) {
	st := &state{args: map[string]*string{}}
	switch {
	case r.baseStage >= 0:
		st = j.runs[r.baseStage].st.clone()
		st.args = map[string]*string{}
		st.cmdSet = false
	case strings.EqualFold(r.base, "scratch"):
		st.cfg.OS = "linux"
		st.cfg.Architecture = goarch()
		st.cfg.RootFS.Type = "layers"
	default:
		img, err := j.baseImage(ctx, r.base)
		if err != nil {
			return nil, err
		}
		st.id = img.ID
		st.layers = slices.Clone(img.Layers)
		if err := json.Unmarshal(img.RawConfig, &st.cfg); err != nil {
			return nil, err
		}
	}
	w.printf(" ---> %s\n", shortID(st.id))
	if !slices.ContainsFunc(st.cfg.Config.Env, func(kv string) bool { return strings.HasPrefix(kv, "PATH=") }) {
		st.cfg.Config.Env = append(st.cfg.Config.Env, defaultPath)
	}
	return st, nil
}

// dispatch runs one instruction on st.
func (j *job) dispatch(ctx context.Context, r *stageRun, st *state, c instructions.Command, w stageWriter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	env := j.expansionEnv(st)
	expander := func(word string) (string, error) { return j.expand(word, env) }
	if ex, ok := c.(instructions.SupportsSingleWordExpansion); ok {
		if err := ex.Expand(expander); err != nil {
			return j.stepError(c, err)
		}
	}
	if ex, ok := c.(instructions.SupportsSingleWordExpansionRaw); ok {
		if err := ex.ExpandRaw(expander); err != nil {
			return j.stepError(c, err)
		}
	}
	var err error
	switch c := c.(type) {
	case *instructions.EnvCommand:
		parts := []string{"ENV"}
		for _, kv := range c.Env {
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		err = j.commit(ctx, w, st, nopComment(st, strings.Join(parts, " ")), nil, func(cfg *dockerspec.DockerOCIImageConfig) {
			for _, kv := range c.Env {
				cfg.Env = oci.MergeEnv(cfg.Env, []string{kv.Key + "=" + kv.Value})
			}
		})
	case *instructions.LabelCommand:
		parts := []string{"LABEL"}
		for _, kv := range c.Labels {
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		err = j.commit(ctx, w, st, nopComment(st, strings.Join(parts, " ")), nil, func(cfg *dockerspec.DockerOCIImageConfig) {
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			for _, kv := range c.Labels {
				cfg.Labels[kv.Key] = kv.Value
			}
		})
	case *instructions.MaintainerCommand:
		st.cfg.Author = c.Maintainer
		err = j.commit(ctx, w, st, nopComment(st, "MAINTAINER "+c.Maintainer), nil, nil)
	case *instructions.ExposeCommand:
		ports, perr := parsePorts(c.Ports, expander)
		if perr != nil {
			return j.stepError(c, perr)
		}
		err = j.commit(ctx, w, st, nopComment(st, "EXPOSE "+strings.Join(ports, " ")), nil, func(cfg *dockerspec.DockerOCIImageConfig) {
			if cfg.ExposedPorts == nil {
				cfg.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range ports {
				cfg.ExposedPorts[p] = struct{}{}
			}
		})
	case *instructions.UserCommand:
		err = j.commit(ctx, w, st, nopComment(st, "USER "+c.User), nil, func(cfg *dockerspec.DockerOCIImageConfig) { cfg.User = c.User })
	case *instructions.VolumeCommand:
		for _, v := range c.Volumes {
			if strings.TrimSpace(v) == "" {
				return j.stepError(c, errors.New("VOLUME specified can not be an empty string"))
			}
		}
		err = j.commit(ctx, w, st, nopComment(st, fmt.Sprintf("VOLUME %v", c.Volumes)), nil, func(cfg *dockerspec.DockerOCIImageConfig) {
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			for _, v := range c.Volumes {
				cfg.Volumes[v] = struct{}{}
			}
		})
	case *instructions.StopSignalCommand:
		if _, serr := signal.ParseSignal(c.Signal); serr != nil {
			return j.stepError(c, serr)
		}
		err = j.commit(ctx, w, st, nopComment(st, "STOPSIGNAL "+c.Signal), nil, func(cfg *dockerspec.DockerOCIImageConfig) { cfg.StopSignal = c.Signal })
	case *instructions.HealthCheckCommand:
		hc := *c.Health
		err = j.commit(ctx, w, st, nopComment(st, fmt.Sprintf("HEALTHCHECK %q", hc.Test)), nil, func(cfg *dockerspec.DockerOCIImageConfig) {
			if len(hc.Test) > 0 && hc.Test[0] == "NONE" {
				cfg.Healthcheck = &dockerspec.HealthcheckConfig{Test: []string{"NONE"}}
				return
			}
			h := hc
			cfg.Healthcheck = &h
		})
	case *instructions.CmdCommand:
		cmd := j.cmdLine(st, c.ShellDependantCmdLine)
		st.cmdSet = true
		err = j.commit(ctx, w, st, nopComment(st, fmt.Sprintf("CMD %q", cmd)), nil, func(cfg *dockerspec.DockerOCIImageConfig) { cfg.Cmd = cmd })
	case *instructions.EntrypointCommand:
		ep := j.cmdLine(st, c.ShellDependantCmdLine)
		keepCmd := st.cmdSet
		err = j.commit(ctx, w, st, nopComment(st, fmt.Sprintf("ENTRYPOINT %q", ep)), nil, func(cfg *dockerspec.DockerOCIImageConfig) {
			cfg.Entrypoint = ep
			if !keepCmd {
				cfg.Cmd = nil
			}
		})
	case *instructions.ShellCommand:
		sh := slices.Clone(c.Shell)
		err = j.commit(ctx, w, st, nopComment(st, fmt.Sprintf("SHELL %v", sh)), nil, func(cfg *dockerspec.DockerOCIImageConfig) { cfg.Shell = sh })
	case *instructions.OnbuildCommand:
		expr := strings.TrimSpace(c.Expression)
		err = j.commit(ctx, w, st, nopComment(st, "ONBUILD "+expr), nil, func(cfg *dockerspec.DockerOCIImageConfig) { cfg.OnBuild = append(cfg.OnBuild, expr) })
	case *instructions.ArgCommand:
		parts := []string{"ARG"}
		for _, kv := range c.Args {
			j.markUsed(kv.Key)
			v := kv.Value
			if v == nil {
				if mv, ok := j.metaArgs[kv.Key]; ok {
					v = mv
				}
			}
			if ov, ok := j.opts.BuildArgs[kv.Key]; ok && ov != nil {
				v = ov
			}
			st.args[kv.Key] = v
			if kv.Value != nil {
				parts = append(parts, kv.Key+"="+*kv.Value)
			} else {
				parts = append(parts, kv.Key)
			}
		}
		err = j.commitKeyed(ctx, w, st, nopComment(st, strings.Join(parts, " ")), "", j.buildArgs(st), "", nil, nil)
	case *instructions.WorkdirCommand:
		err = j.workdir(ctx, w, st, c.Path)
	case *instructions.RunCommand:
		err = j.runStep(ctx, r, w, st, c)
	case *instructions.CopyCommand:
		err = j.copyStep(ctx, r, w, st, copyRequest{cmd: "COPY", SourcesAndDest: c.SourcesAndDest, from: c.From, chown: c.Chown, chmod: c.Chmod, node: c})
	case *instructions.AddCommand:
		err = j.copyStep(ctx, r, w, st, copyRequest{cmd: "ADD", SourcesAndDest: c.SourcesAndDest, chown: c.Chown, chmod: c.Chmod, add: true, node: c})
	default:
		return j.stepError(c, fmt.Errorf("%s is not supported", strings.ToUpper(c.Name())))
	}
	return err
}

// stepError names the Dockerfile, line and instruction of a failed step.
func (j *job) stepError(c instructions.Command, err error) error {
	if isCanceled(err) {
		return err
	}
	var cls error = errdefs.ErrInvalidParameter
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		cls = errdefs.ErrNotFound
	case errors.Is(err, errdefs.ErrUnavailable):
		cls = errdefs.ErrUnavailable
	}
	name := strings.ToUpper(c.Name())
	if strings.HasPrefix(err.Error(), name+" ") {
		return fmt.Errorf("%s:%d: %w", j.dfName, line(c.Location()), classed{err, cls})
	}
	return fmt.Errorf("%s:%d: %s: %w", j.dfName, line(c.Location()), name, classed{err, cls})
}

type classed struct {
	err error
	cls error
}

func (c classed) Error() string        { return c.err.Error() }
func (c classed) Is(target error) bool { return target == c.cls }
func (c classed) Unwrap() error        { return c.err }

// nopComment is the history entry of a step that runs nothing, as
// Docker's classic builder writes it.
func nopComment(st *state, s string) string {
	return strings.Join(append(slices.Clone(st.shell()), "#(nop) ", s), " ")
}

func (j *job) cmdLine(st *state, c instructions.ShellDependantCmdLine) []string {
	if c.PrependShell {
		return append(slices.Clone(st.shell()), strings.Join(c.CmdLine, " "))
	}
	return slices.Clone(c.CmdLine)
}

// parsePorts turns EXPOSE's words into "port/proto" keys (ranges expanded).
func parsePorts(words []string, expand func(string) (string, error)) ([]string, error) {
	var out []string
	for _, w := range words {
		w, err := expand(w)
		if err != nil {
			return nil, err
		}
		p, proto, _ := strings.Cut(w, "/")
		if proto == "" {
			proto = "tcp"
		}
		lo, hi, isRange := strings.Cut(p, "-")
		a, err := parsePort(lo)
		if err != nil {
			return nil, fmt.Errorf("invalid containerPort: %s", w)
		}
		b := a
		if isRange {
			if b, err = parsePort(hi); err != nil || b < a {
				return nil, fmt.Errorf("invalid containerPort: %s", w)
			}
		}
		for n := a; n <= b; n++ {
			out = append(out, fmt.Sprintf("%d/%s", n, strings.ToLower(proto)))
		}
	}
	return out, nil
}

func parsePort(s string) (int, error) {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n < 0 || n > 65535 || fmt.Sprint(n) != s {
		return 0, errors.New("invalid port")
	}
	return n, nil
}

// commit records a step that changes only the config.
func (j *job) commit(ctx context.Context, w stageWriter, st *state, createdBy string, layer func(ctx context.Context) (*image.Layer, error), mutate func(*dockerspec.DockerOCIImageConfig)) error {
	return j.commitKeyed(ctx, w, st, createdBy, "", nil, "", layer, mutate)
}

// commitKeyed runs a step through the cache: a hit reuses the recorded
// image; a miss builds the step's layer (if any), applies mutate to the
// config and records the new image. keyExtra adds to the instruction in
// the key what the history does not show (COPY's --chown, --chmod).
func (j *job) commitKeyed(ctx context.Context, w stageWriter, st *state, createdBy, keyExtra string, args []string, sources digest.Digest, layer func(ctx context.Context) (*image.Layer, error), mutate func(*dockerspec.DockerOCIImageConfig)) error {
	instr := createdBy
	if keyExtra != "" {
		instr += "\x00" + keyExtra
	}
	key := cache.Key(st.id, instr, args, sources)
	if !j.opts.NoCache {
		if rec, ok := j.b.cache.Get(ctx, key); ok {
			if raw, ok := j.validRecord(ctx, rec); ok {
				var cfg dockerspec.DockerOCIImage
				if err := json.Unmarshal(raw, &cfg); err == nil {
					st.cfg, st.id, st.layers = cfg, rec.ID, rec.Layers
					w.printf(" ---> Using cache\n ---> %s\n", shortID(rec.ID))
					return nil
				}
			}
		}
	}
	var l *image.Layer
	if layer != nil {
		var err error
		if l, err = layer(ctx); err != nil {
			return err
		}
	}
	cfg := st.clone().cfg
	if mutate != nil {
		mutate(&cfg.Config)
	}
	now := time.Now().UTC()
	cfg.Created = &now
	cfg.History = append(cfg.History, ocispec.History{Created: &now, CreatedBy: createdBy, EmptyLayer: l == nil})
	layers := slices.Clone(st.layers)
	if l != nil {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.DiffID)
		layers = append(layers, *l)
	}
	if cfg.RootFS.Type == "" {
		cfg.RootFS.Type = "layers"
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	id, err := j.b.content.PutBytes(ctx, raw)
	if err != nil {
		return err
	}
	if err := j.b.cache.Put(ctx, key, cache.Record{ID: id, Layers: layers}); err != nil {
		return err
	}
	st.cfg, st.id, st.layers = cfg, id, layers
	w.printf(" ---> %s\n", shortID(id))
	return nil
}

// validRecord checks that what a record points to is still there: the
// config, the layer blobs and the layer snapshots.
func (j *job) validRecord(ctx context.Context, rec cache.Record) ([]byte, bool) {
	raw, err := j.b.content.Get(ctx, rec.ID)
	if err != nil {
		return nil, false
	}
	var diffIDs []digest.Digest
	for _, l := range rec.Layers {
		if !j.b.content.Exists(ctx, l.Digest) {
			return nil, false
		}
		diffIDs = append(diffIDs, l.DiffID)
	}
	if chains := overlay.ChainIDs(diffIDs); len(chains) > 0 && !j.b.snapshots.Exists(chains[len(chains)-1]) {
		return nil, false
	}
	return raw, true
}

// runStep runs a RUN instruction in a container.
func (j *job) runStep(ctx context.Context, r *stageRun, w stageWriter, st *state, c *instructions.RunCommand) error {
	var args []string
	switch {
	case len(c.Files) > 0 && c.PrependShell:
		// RUN <<EOF: the heredoc is the script.
		if len(c.Files) != 1 || len(c.CmdLine) != 1 || !strings.HasPrefix(c.CmdLine[0], "<<") {
			return j.stepError(c, errors.New("only a heredoc as the whole command is supported"))
		}
		args = append(slices.Clone(st.shell()), c.Files[0].Data)
	case c.PrependShell:
		args = append(slices.Clone(st.shell()), strings.Join(c.CmdLine, " "))
	default:
		args = slices.Clone(c.CmdLine)
	}
	if len(args) == 0 {
		return j.stepError(c, errors.New("RUN requires at least one argument"))
	}
	buildArgs := j.buildArgs(st)
	saveCmd := args
	if len(buildArgs) > 0 {
		saveCmd = append(append([]string{fmt.Sprintf("|%d", len(buildArgs))}, buildArgs...), args...)
	}
	createdBy := strings.Join(saveCmd, " ")
	env := append(append(slices.Clone(st.cfg.Config.Env), buildArgs...), j.proxyEnv(st)...)
	parent := st.chain()
	run := func(ctx context.Context) (*image.Layer, error) {
		id := stringid.New()
		w.printf(" ---> Running in %s\n", id[:12])
		var layer *image.Layer
		err := j.b.runner.RunBuildStep(ctx, RunRequest{
			ID:         id,
			ChainID:    parent,
			Args:       args,
			Env:        env,
			WorkingDir: st.cfg.Config.WorkingDir,
			User:       st.cfg.Config.User,
			Network:    j.opts.Network,
			ExtraHosts: j.opts.ExtraHosts,
			Volumes:    slices.Sorted(maps.Keys(st.cfg.Config.Volumes)),
			Stdout:     w,
			Stderr:     w,
			Diff: func(ctx context.Context, upper string, ids archive.IDMap) error {
				l, err := j.storeDiff(ctx, parent, upper, ids)
				layer = l
				return err
			},
		})
		var exit *ExitError
		if errors.As(err, &exit) {
			return nil, &StepFailed{Msg: fmt.Sprintf("The command '%s' returned a non-zero code: %d", strings.Join(args, " "), exit.Code), Code: exit.Code}
		}
		if err != nil {
			return nil, err
		}
		w.printf(" ---> Removed intermediate container %s\n", id[:12])
		return layer, nil
	}
	return j.commitKeyed(ctx, w, st, createdBy, "", buildArgs, "", run, nil)
}

// StepFailed is a RUN step whose command failed; Code is its exit code.
type StepFailed struct {
	Msg  string
	Code int
}

func (e *StepFailed) Error() string { return e.Msg }

// Is makes a failed step an invalid-parameter error (HTTP 400 before the
// stream starts).
func (e *StepFailed) Is(target error) bool { return target == errdefs.ErrInvalidParameter }

// workdir sets the working directory, creating it in a layer if missing.
func (j *job) workdir(ctx context.Context, w stageWriter, st *state, p string) error {
	if !path.IsAbs(p) {
		base := st.cfg.Config.WorkingDir
		if base == "" {
			base = "/"
		}
		p = path.Join(base, p)
	}
	p = path.Clean(p)
	parent := st.chain()
	mk := func(ctx context.Context) (*image.Layer, error) {
		view, err := j.rootfsView(ctx, parent)
		if err != nil {
			return nil, err
		}
		defer view.release()
		missing := view.missingDirs(p)
		if len(missing) == 0 {
			return nil, nil
		}
		now := time.Now()
		return j.storeTar(ctx, parent, func(tw *tarWriter) error {
			for _, d := range missing {
				if err := tw.dir(d, 0o755, 0, 0, now); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return j.commit(ctx, w, st, strings.Join(append(slices.Clone(st.shell()), "#(nop) WORKDIR "+p), " "), mk, func(cfg *dockerspec.DockerOCIImageConfig) { cfg.WorkingDir = p })
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = io.Discard

// ExitCode is the failed command's exit code.
func (e *StepFailed) ExitCode() int { return e.Code }
