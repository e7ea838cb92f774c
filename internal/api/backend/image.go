package backend

import (
	"github.com/distribution/reference"

	"github.com/tug-project/tug/internal/filters"
)

// ImageListOptions are the query parameters of GET /images/json.
type ImageListOptions struct {
	All     bool
	Filters filters.Args
}

// ImageImportOptions are the query parameters of POST
// /images/create?fromSrc=-.
type ImageImportOptions struct {
	Repo, Tag string
	Changes   []string
	Message   string
	Platform  string
}

// ImagePullOptions are the query parameters of POST
// /images/create?fromImage=.
type ImagePullOptions struct {
	// Ref is the image to pull, normalized (Docker Hub rules); with
	// AllTags, a repository without tag or digest.
	Ref        reference.Named
	AllTags    bool
	Platform   string
	AuthHeader string // the raw X-Registry-Auth header
}

// ImagePushOptions are the parameters of POST /images/{name}/push.
type ImagePushOptions struct {
	// Ref is the image to push, normalized (Docker Hub rules); without a
	// tag, every local tag of the repository.
	Ref        reference.Named
	AuthHeader string // the raw X-Registry-Auth header
}
