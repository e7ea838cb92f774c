package backend

import "github.com/tug-project/tug/internal/filters"

// VolumeListOptions are the query parameters of GET /volumes.
type VolumeListOptions struct {
	Filters filters.Args // dangling, name, label, driver
}

// VolumeRemoveOptions are the query parameters of DELETE /volumes/{name}.
type VolumeRemoveOptions struct {
	Force bool // a missing volume is not an error
}

// VolumePruneOptions are the query parameters of POST /volumes/prune.
type VolumePruneOptions struct {
	Filters filters.Args // label, label!, all
}
