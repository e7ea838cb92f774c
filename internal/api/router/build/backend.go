package build

import (
	"context"
	"io"
)

// Options are the query parameters of POST /build.
type Options struct {
	Tags        []string
	Dockerfile  string
	BuildArgs   map[string]*string
	Target      string
	NoCache     bool
	Pull        bool
	Quiet       bool
	Labels      map[string]string
	NetworkMode string
	Remove      bool
	ForceRemove bool
	// ContextDir, when set, is a directory on the daemon's host to build
	// from instead of the request body (tug CLI on the same host).
	ContextDir string
}

// Output receives a build's progress.
type Output interface {
	Stream(s string)
	Aux(id string)
}

// Backend builds images.
type Backend interface {
	Build(ctx context.Context, body io.Reader, opts Options, out Output) (id string, err error)
	BuildCachePrune(ctx context.Context) (reclaimed int64, err error)
}
