package backend

import (
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/volume"
)

// CommitOptions are the query parameters and body of POST /commit.
type CommitOptions struct {
	Container string
	Repo, Tag string
	Author    string
	Comment   string
	Changes   []string          // Dockerfile-like lines (`commit -c`)
	Pause     bool              // freeze the container while its changes are read
	Config    *container.Config // the body: fields set here override the container's
}

// DiskUsageOptions are the query parameters of GET /system/df: the object
// types to report (all when empty) and whether to list them.
type DiskUsageOptions struct {
	Types   []string
	Verbose bool
}

// DiskUsage is the body of GET /system/df before API 1.52, which every
// client tug serves reads: the size of all layers counted once, and
// the objects with their sizes.
type DiskUsage struct {
	LayersSize int64               `json:"LayersSize"`
	Images     []image.Summary     `json:"Images"`
	Containers []container.Summary `json:"Containers"`
	Volumes    []volume.Volume     `json:"Volumes"`
	BuildCache []build.CacheRecord `json:"BuildCache"`
}
