package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/errdefs"
)

// proxyArgs may be passed without an ARG; they reach RUN but never the
// image history or the cache key (as in Docker).
var proxyArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true, "HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true, "NO_PROXY": true, "no_proxy": true,
	"ALL_PROXY": true, "all_proxy": true,
}

// job is one build: the parsed Dockerfile and the stages being built.
type job struct {
	b      *Builder
	bctx   *buildContext
	opts   Options
	out    *orderedOutput
	lex    *shell.Lex
	dfName string

	stages   []instructions.Stage
	metaArgs map[string]*string // ARGs before the first FROM, after --build-arg
	runs     []*stageRun        // per stage; nil for stages not needed
	order    []int              // needed stages in Dockerfile order
	total    int                // steps to run

	mu       sync.Mutex
	usedArgs map[string]bool
}

// stageRun is one stage's build, finished when done is closed.
type stageRun struct {
	idx       int
	firstStep int
	base      string // expanded FROM argument
	baseStage int    // index of the stage FROM refers to, or -1
	deps      []int  // stages it needs (FROM and COPY --from)
	done      chan struct{}
	st        *state
	err       error
}

func newJob(ctx context.Context, b *Builder, bctx *buildContext, df []byte, opts Options, out Output) (*job, error) {
	j := &job{b: b, bctx: bctx, opts: opts, dfName: bctx.dockerfile, usedArgs: map[string]bool{}}
	res, err := parser.Parse(bytes.NewReader(df))
	if err != nil {
		return nil, buildError("failed to parse %s: %v", j.dfName, err)
	}
	j.lex = shell.NewLex(res.EscapeToken)
	var metaArgs []instructions.ArgCommand
	for _, n := range res.AST.Children {
		cmd, err := instructions.ParseInstruction(n)
		if err != nil {
			return nil, j.parseError(n, err)
		}
		if len(j.stages) == 0 {
			if a, ok := cmd.(*instructions.ArgCommand); ok {
				metaArgs = append(metaArgs, *a)
				continue
			}
		}
		switch c := cmd.(type) {
		case *instructions.Stage:
			j.stages = append(j.stages, *c)
		case instructions.Command:
			if len(j.stages) == 0 {
				return nil, j.parseError(n, errors.New("no build stage in current context"))
			}
			j.stages[len(j.stages)-1].AddCommand(c)
		}
	}
	if len(j.stages) == 0 {
		return nil, buildError("the Dockerfile (%s) cannot be empty", j.dfName)
	}
	// Meta ARGs: defaults expanded in order, overridden by --build-arg.
	j.metaArgs = map[string]*string{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			j.markUsed(kv.Key)
			var v *string
			if kv.Value != nil {
				s, err := j.expand(*kv.Value, j.metaEnv())
				if err != nil {
					return nil, err
				}
				v = &s
			}
			if ov, ok := opts.BuildArgs[kv.Key]; ok && ov != nil {
				v = ov
			}
			j.metaArgs[kv.Key] = v
		}
	}
	if err := j.plan(); err != nil {
		return nil, err
	}
	j.out = newOrderedOutput(out, j.order)
	return j, nil
}

// parseError names the file, the line and the instruction.
func (j *job) parseError(n *parser.Node, err error) error {
	msg := err.Error()
	var unknown *instructions.UnknownInstructionError
	if !errors.As(err, &unknown) && !strings.Contains(strings.ToUpper(msg), strings.ToUpper(n.Value)) {
		msg = strings.ToUpper(n.Value) + ": " + msg
	}
	return buildError("%s:%d: %s", j.dfName, n.StartLine, msg)
}

func (j *job) markUsed(k string) {
	j.mu.Lock()
	j.usedArgs[k] = true
	j.mu.Unlock()
}

func (j *job) metaEnv() []string {
	var env []string
	for k, v := range j.metaArgs {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	slices.Sort(env)
	return env
}

func (j *job) expand(word string, env []string) (string, error) {
	s, _, err := j.lex.ProcessWord(word, shell.EnvsFromSlice(env))
	return s, err
}

// stageIndex resolves a stage name or number ("" or -1 if not a stage).
func (j *job) stageIndex(name string, before int) (int, bool) {
	for i := 0; i < before; i++ {
		if j.stages[i].Name != "" && strings.EqualFold(j.stages[i].Name, name) {
			return i, true
		}
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < before {
		return n, true
	}
	return -1, false
}

// plan picks the stages the target needs and numbers their steps.
func (j *job) plan() error {
	target := len(j.stages) - 1
	if j.opts.Target != "" {
		found := false
		for i, s := range j.stages {
			if strings.EqualFold(s.Name, j.opts.Target) {
				target, found = i, true
				break
			}
		}
		if !found {
			return buildError("failed to reach build target %s in Dockerfile", j.opts.Target)
		}
	}
	j.runs = make([]*stageRun, len(j.stages))
	var visit func(i int) error
	visit = func(i int) error {
		if j.runs[i] != nil {
			return nil
		}
		s := &j.stages[i]
		r := &stageRun{idx: i, baseStage: -1, done: make(chan struct{})}
		j.runs[i] = r
		base, err := j.expand(s.BaseName, j.metaEnv())
		if err != nil {
			return buildError("%s:%d: FROM: %v", j.dfName, line(s.Location), err)
		}
		if base == "" {
			return buildError("%s:%d: FROM requires either one or three arguments", j.dfName, line(s.Location))
		}
		r.base = base
		if k, ok := j.stageIndex(base, i); ok {
			r.baseStage = k
			r.deps = append(r.deps, k)
		}
		for _, c := range s.Commands {
			cp, ok := c.(*instructions.CopyCommand)
			if !ok || cp.From == "" {
				continue
			}
			from, err := j.expand(cp.From, j.metaEnv())
			if err != nil {
				return err
			}
			if k, ok := j.stageIndex(from, i); ok {
				r.deps = append(r.deps, k)
			} else if _, later := j.stageIndex(from, len(j.stages)); later && !strings.Contains(from, ":") {
				return buildError("%s:%d: COPY --from=%s refers to a later stage or itself", j.dfName, line(cp.Location()), from)
			}
		}
		for _, d := range r.deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(target); err != nil {
		return err
	}
	step := 1
	for i, r := range j.runs {
		if r == nil {
			continue
		}
		j.order = append(j.order, i)
		r.firstStep = step
		step += 1 + len(j.stages[i].Commands)
		if i == target && len(j.opts.Labels) > 0 {
			step++
		}
	}
	j.total = step - 1
	return nil
}

func line(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}

// run builds the needed stages, independent ones in parallel, and records
// the target's image.
func (j *job) run(ctx context.Context) (digest.Digest, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, i := range j.order {
		r := j.runs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(r.done)
			defer j.out.finish(r.idx)
			for _, d := range r.deps {
				select {
				case <-j.runs[d].done:
				case <-ctx.Done():
					r.err = context.Cause(ctx)
					return
				}
				if j.runs[d].err != nil {
					r.err = errSkipped
					return
				}
			}
			r.err = j.runStage(ctx, r)
			if r.err != nil {
				cancel(r.err)
			}
		}()
	}
	wg.Wait()
	// The first real error in Dockerfile order wins.
	var first error
	for _, i := range j.order {
		if err := j.runs[i].err; err != nil && !errors.Is(err, errSkipped) {
			if first == nil || errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled) {
				first = err
			}
		}
	}
	j.out.flushAll()
	if first != nil {
		if ctx.Err() != nil && errors.Is(first, context.Canceled) {
			return "", first
		}
		return "", first
	}
	target := j.runs[j.order[len(j.order)-1]]
	id, err := j.finish(ctx, target.st)
	if err != nil {
		return "", err
	}
	return id, nil
}

var errSkipped = errors.New("skipped: a stage it depends on failed")

// unusedArgs are the --build-args no ARG declared, sorted.
func (j *job) unusedArgs() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for k := range j.opts.BuildArgs {
		if !j.usedArgs[k] && !proxyArgs[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// finish records the target's image and tags it.
func (j *job) finish(ctx context.Context, st *state) (digest.Digest, error) {
	if st.id == "" {
		return "", buildError("No image was generated. Is your Dockerfile empty?")
	}
	if unused := j.unusedArgs(); len(unused) > 0 {
		j.out.direct(fmt.Sprintf("[Warning] One or more build-args %v were not consumed\n", unused))
	}
	raw, err := j.b.content.Get(ctx, st.id)
	if err != nil {
		return "", err
	}
	img, err := j.b.images.Create(ctx, raw, st.layers, "")
	if err != nil {
		return "", err
	}
	j.out.out.Aux(img.ID.String())
	j.out.direct(fmt.Sprintf("Successfully built %s\n", shortID(img.ID)))
	for _, t := range j.opts.Tags {
		if err := j.b.images.Tag(ctx, img.ID.String(), t); err != nil {
			return "", err
		}
		j.out.direct(fmt.Sprintf("Successfully tagged %s\n", familiar(t)))
	}
	return img.ID, nil
}

func shortID(id digest.Digest) string {
	if id == "" {
		return ""
	}
	e := id.Encoded()
	if len(e) > 12 {
		e = e[:12]
	}
	return e
}

// familiar is how Docker prints a tag: with ":latest" when none is given.
func familiar(ref string) string {
	name := ref
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if !strings.Contains(name, ":") && !strings.Contains(ref, "@") {
		return ref + ":latest"
	}
	return ref
}

// sortedKV returns "k=v" for a map, sorted by key.
func sortedKV(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}

func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

var _ = errdefs.ErrNotFound
