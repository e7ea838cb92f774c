package backend

import "errors"

// BuildOptions are the query parameters of POST /build.
type BuildOptions struct {
	Tags        []string
	Dockerfile  string
	BuildArgs   map[string]*string
	Target      string
	NoCache     bool
	Pull        bool
	Quiet       bool
	Labels      map[string]string
	NetworkMode string
	// ExtraHosts are --add-host's host:ip entries for the RUN steps'
	// /etc/hosts.
	ExtraHosts  []string
	Remove      bool
	ForceRemove bool
	// RegistryConfigHeader is the raw X-Registry-Config header: the
	// credentials FROM pulls use, by registry.
	RegistryConfigHeader string
	// ContextDir, when set, is a directory on the daemon's host to build
	// from instead of the request body (tug CLI on the same host; query
	// tug-context-dir, an absolute path).
	ContextDir string
	// ContextID, optional with ContextDir, is "<boot id>:<device>:<inode>"
	// of the directory as the client sees it (query tug-context-id): the
	// daemon refuses a ContextDir that is another directory on its side
	// (another host or mount namespace), and the client falls back to a
	// tar stream.
	ContextID string
}

// ErrBuildContextDir marks a BuildOptions.ContextDir the daemon will not
// build from (not a directory, not the client's, unreadable). Such an
// error is answered with an HTTP error status before the build stream
// starts, and its text starts with "tug-context-dir", on which the tug CLI
// falls back to sending the context as a tar stream.
var ErrBuildContextDir = errors.New("tug-context-dir")

// BuildOutput receives a build's progress.
type BuildOutput interface {
	Stream(s string)
	Aux(id string)
}
