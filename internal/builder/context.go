package builder

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/opencontainers/go-digest"
)

// buildContext is the build's context directory with its .dockerignore.
type buildContext struct {
	dir        string
	dockerfile string // path of the Dockerfile relative to dir
	excludes   *patternmatcher.PatternMatcher
	hashes     digester // nil: each file is read for its digest
}

// digester knows the content digests of a context's regular files
// (hashcache.Cache for a directory on this host, tarDigests for a tar).
type digester interface {
	Digest(root *os.Root, rel string, fi fs.FileInfo) (digest.Digest, error)
}

// ReadIgnore returns the .dockerignore patterns for the Dockerfile at
// dockerfile (relative to dir): <Dockerfile>.dockerignore next to it wins
// over the context's .dockerignore. The CLI uses it too.
func ReadIgnore(dir, dockerfile string) ([]string, error) {
	candidates := []string{".dockerignore"}
	if dockerfile != "" {
		candidates = append([]string{dockerfile + ".dockerignore"}, candidates...)
	}
	for _, c := range candidates {
		p := c
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, c)
		}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ignorefile.ReadAll(f)
	}
	return nil, nil
}

func openContext(dir, dockerfile string) (*buildContext, error) {
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	dockerfile = path.Clean(strings.TrimPrefix(filepath.ToSlash(dockerfile), "/"))
	patterns, err := ReadIgnore(dir, dockerfile)
	if err != nil {
		return nil, err
	}
	bc := &buildContext{dir: dir, dockerfile: dockerfile}
	if len(patterns) > 0 {
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			return nil, buildError("invalid .dockerignore: %v", err)
		}
		bc.excludes = pm
	}
	return bc, nil
}

// readDockerfile returns the Dockerfile's content.
func (c *buildContext) readDockerfile() ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(c.dockerfile)))
	if errors.Is(err, fs.ErrNotExist) && c.dockerfile == "Dockerfile" {
		// Docker falls back to the lower-case name.
		if lb, lerr := os.ReadFile(filepath.Join(c.dir, "dockerfile")); lerr == nil {
			return lb, nil
		}
	}
	if err != nil {
		return nil, buildError("Cannot locate specified Dockerfile: %s", c.dockerfile)
	}
	return b, nil
}

// excluded reports whether rel (slash-separated, relative to the context)
// is excluded by .dockerignore.
func (c *buildContext) excluded(rel string) bool {
	if c.excludes == nil || rel == "." || rel == "" {
		return false
	}
	m, err := c.excludes.MatchesOrParentMatches(rel)
	return err == nil && m
}

// skipDir reports whether the directory rel is excluded with nothing under
// it brought back: as Docker's context walk, an excluded directory is still
// entered when an exception pattern (!dir/file) starts with it.
func (c *buildContext) skipDir(rel string) bool {
	if !c.excluded(rel) {
		return false
	}
	if !c.excludes.Exclusions() {
		return true
	}
	dirSlash := rel + "/"
	for _, p := range c.excludes.Patterns() {
		if p.Exclusion() && strings.HasPrefix(p.String()+"/", dirSlash) {
			return false
		}
	}
	return true
}
