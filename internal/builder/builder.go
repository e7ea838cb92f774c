package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/builder/cache"
	"github.com/tug-project/tug/internal/builder/hashcache"
	"github.com/tug-project/tug/internal/content"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
	"github.com/tug-project/tug/internal/snapshot/overlay"
	"github.com/tug-project/tug/internal/trace"
)

// RunRequest asks for one command to run in a throw-away container on the
// layer chain ChainID ("" for an empty root filesystem).
type RunRequest struct {
	ID         string // container ID (64 hex), shown in the build output
	ChainID    digest.Digest
	Args       []string // the process: argv[0] and its arguments
	Env        []string
	WorkingDir string
	User       string
	Network    string   // POST /build's networkmode: "", "default", "bridge", a network, "none", "host", "container:x"
	ExtraHosts []string // --add-host's host:ip entries for /etc/hosts
	// Volumes are the image's VOLUMEs so far: as in Docker's classic
	// builder, each is a throw-away volume (filled from the image) during
	// the step, so what the step writes there is not in its layer.
	Volumes []string
	Stdout  io.Writer
	Stderr  io.Writer
	// Diff is called with the container's upper directory after the
	// process exited 0 and before the container is removed, and the
	// mapping of its owners to the image's (nil: none; userns-remap).
	Diff func(ctx context.Context, upperDir string, ids archive.IDMap) error
}

// Runner runs build containers. A non-zero exit is reported as an
// *ExitError; the runner leaves no container, mount or state behind,
// also when ctx is cancelled.
type Runner interface {
	RunBuildStep(ctx context.Context, req RunRequest) error
}

// ExitError is a RUN command that exited non-zero.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit code %d", e.Code) }

// Options are the parameters of one build (POST /build's query).
type Options struct {
	Dockerfile string             // path of the Dockerfile in the context ("Dockerfile")
	Tags       []string           // references to tag the result with
	BuildArgs  map[string]*string // --build-arg; nil value: take it from the environment (unset here)
	Target     string
	NoCache    bool
	Pull       bool
	Quiet      bool
	Labels     map[string]string
	Network    string
	ExtraHosts []string // --add-host: host:ip entries in the RUN steps' /etc/hosts (not part of the cache key, as in Docker)
}

// Result is a finished build.
type Result struct {
	ID digest.Digest
}

// Builder builds images from Dockerfiles.
type Builder struct {
	root      string
	images    *image.Store
	content   *content.Store
	snapshots *overlay.Snapshotter
	runner    Runner
	cache     *cache.Store
	hashes    *hashcache.Store // digests of files in host context directories

	mu    sync.RWMutex // builds hold it shared, prune exclusively
	ctxMu sync.Mutex   // held by the build using the reused context directory
}

// New returns a builder keeping its cache and scratch space under root.
func New(root string, images *image.Store, cs *content.Store, sn *overlay.Snapshotter, runner Runner) (*Builder, error) {
	cs2, err := cache.NewStore(filepath.Join(root, "cache"))
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(root, "tmp")
	_ = os.RemoveAll(tmp) // contexts of builds interrupted by a crash
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	hashes, err := hashcache.NewStore(filepath.Join(root, "hashes"))
	if err != nil {
		return nil, err
	}
	return &Builder{root: root, images: images, content: cs, snapshots: sn, runner: runner, cache: cs2, hashes: hashes}, nil
}

// Output receives a build's progress: Stream gets text lines (Docker's
// {"stream": ...} messages), Aux the result ID.
type Output interface {
	Stream(s string)
	Aux(id string)
}

// BuildTar builds from a context tar stream (plain or compressed), which is
// unpacked to a scratch directory for the build: the reused one
// (tarcontext.go) unless another build holds it.
func (b *Builder) BuildTar(ctx context.Context, r io.Reader, opts Options, out Output) (Result, error) {
	dir := filepath.Join(b.root, "tmp", reusedContextName)
	reuse := b.ctxMu.TryLock()
	if reuse {
		defer b.ctxMu.Unlock()
		// As a fresh directory (MkdirTemp) is, whatever the last stream
		// made of it.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return Result{}, err
		}
		if err := os.Lchown(dir, 0, 0); err != nil {
			return Result{}, err
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return Result{}, err
		}
	} else {
		var err error
		if dir, err = os.MkdirTemp(filepath.Join(b.root, "tmp"), "ctx-"); err != nil {
			return Result{}, err
		}
	}
	tc, err := unpackTarContext(ctx, r, dir, reuse)
	defer func() {
		if !reuse || tc == nil || tc.bytes > maxReusedContext {
			defer trace.Span("build: context removal")()
			os.RemoveAll(dir)
		}
	}()
	if err != nil {
		return Result{}, err
	}
	defer trace.Span("build: steps")()
	return b.build(ctx, dir, tc.digests, opts, out)
}

// Build builds from dir, a context directory on this host that outlives
// the build (the tug CLI's direct context): .dockerignore applies as it does
// to a tar context, and the digests of its files are remembered between
// builds (builder/hashcache), so an unchanged rebuild reads no file.
// dir must be absolute and clean.
func (b *Builder) Build(ctx context.Context, dir string, opts Options, out Output) (Result, error) {
	hc := b.hashes.Open(dir)
	defer func() {
		if err := hc.Close(); err != nil {
			slog.WarnContext(ctx, "build: context hash cache", "dir", dir, "err", err)
		}
		hits, misses := hc.Stats()
		slog.DebugContext(ctx, "build: context hash cache", "dir", dir, "hits", hits, "misses", misses)
	}()
	return b.build(ctx, dir, hc, opts, out)
}

// build builds from the context directory dir; digests, if not nil, knows
// the digests of its files.
func (b *Builder) build(ctx context.Context, dir string, digests digester, opts Options, out Output) (Result, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	bctx, err := openContext(dir, opts.Dockerfile)
	if err != nil {
		return Result{}, err
	}
	bctx.hashes = digests
	df, err := bctx.readDockerfile()
	if err != nil {
		return Result{}, err
	}
	j, err := newJob(ctx, b, bctx, df, opts, out)
	if err != nil {
		return Result{}, err
	}
	id, err := j.run(ctx)
	if err != nil {
		return Result{}, err
	}
	return Result{ID: id}, nil
}

// PruneReport says what a prune removed.
type PruneReport struct {
	Records        int
	SpaceReclaimed int64
}

// Prune drops the step cache, and the layer snapshots and blobs only the
// cache kept (those no image uses).
func (b *Builder) Prune(ctx context.Context) (PruneReport, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var rep PruneReport
	if err := b.hashes.Purge(); err != nil {
		return rep, err
	}
	if b.ctxMu.TryLock() { // a build using it holds it
		err := os.RemoveAll(filepath.Join(b.root, "tmp", reusedContextName))
		b.ctxMu.Unlock()
		if err != nil {
			return rep, err
		}
	}
	usedBlobs := map[digest.Digest]bool{}
	usedChains := map[digest.Digest]bool{}
	imgs, err := b.images.List(ctx)
	if err != nil {
		return rep, err
	}
	for _, img := range imgs {
		usedBlobs[img.ID] = true
		for _, l := range img.Layers {
			usedBlobs[l.Digest] = true
		}
		for _, c := range overlay.ChainIDs(img.Config.RootFS.DiffIDs) {
			usedChains[c] = true
		}
	}
	var chains [][]digest.Digest
	blobs := map[digest.Digest]bool{}
	err = b.cache.Walk(ctx, func(key digest.Digest, r cache.Record) error {
		rep.Records++
		blobs[r.ID] = true
		var diffIDs []digest.Digest
		for _, l := range r.Layers {
			blobs[l.Digest] = true
			diffIDs = append(diffIDs, l.DiffID)
		}
		chains = append(chains, overlay.ChainIDs(diffIDs))
		return b.cache.Delete(ctx, key)
	})
	if err != nil {
		return rep, err
	}
	// Top layers first: a layer can only go once nothing sits on it.
	for progress := true; progress; {
		progress = false
		for _, cs := range chains {
			for i := len(cs) - 1; i >= 0; i-- {
				c := cs[i]
				if usedChains[c] || !b.snapshots.Exists(c) {
					continue
				}
				l, _ := b.snapshots.Layer(c)
				if err := b.snapshots.RemoveLayer(ctx, c); err == nil {
					rep.SpaceReclaimed += l.Size
					progress = true
				}
			}
		}
	}
	for d := range blobs {
		if usedBlobs[d] {
			continue
		}
		if n, err := b.content.Size(ctx, d); err == nil {
			if err := b.content.Delete(ctx, d); err == nil {
				rep.SpaceReclaimed += n
			}
		}
	}
	return rep, nil
}

// buildError is a build failure shown to the user as is.
func buildError(format string, args ...any) error {
	return errdefs.InvalidParameter(format, args...)
}

var errNoSource = errors.New("no source files were specified")

func goarch() string { return goruntime.GOARCH }
