package daemon

import (
	"context"
	"encoding/json"
	"io"
	"path"
	"slices"
	"strings"

	apievents "github.com/moby/moby/api/types/events"
	apiimage "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/storage"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/filters"
	"github.com/tug-project/tug/internal/image"
)

// ImageList returns the images `tug images` shows.
func (d *Daemon) ImageList(ctx context.Context, opts backend.ImageListOptions) ([]apiimage.Summary, error) {
	imgs, err := d.images.List(ctx)
	if err != nil {
		return nil, err
	}
	if err := opts.Filters.Validate("reference", "label", "dangling", "before", "since"); err != nil {
		return nil, err
	}
	counts := d.containerCountByImage()
	out := []apiimage.Summary{}
	for _, img := range imgs {
		if !imageMatches(img, opts.Filters) {
			continue
		}
		out = append(out, apiimage.Summary{
			ID:          img.ID.String(),
			RepoTags:    nonNil(img.RepoTags),
			RepoDigests: nonNil(img.RepoDigests),
			Created:     img.Created.Unix(),
			Size:        img.Size,
			Labels:      img.Config.Config.Labels,
			Containers:  int64(counts[img.ID]),
		})
	}
	return out, nil
}

func imageMatches(img *image.Image, f filters.Args) bool {
	if vals := f.Get("dangling"); len(vals) > 0 {
		dangling := len(img.RepoTags) == 0
		if (vals[0] == "true") != dangling {
			return false
		}
	}
	return f.Match("reference", func(v string) bool {
		return slices.ContainsFunc(img.RepoTags, func(t string) bool {
			return t == v || strings.TrimSuffix(t, ":latest") == v || globMatch(v, t)
		})
	}) && f.MatchKVList("label", img.Config.Config.Labels)
}

// globMatch matches a reference filter like "busy*" or "busybox:1.*"
// against a tag, ignoring the tag when the pattern has none.
func globMatch(pattern, tag string) bool {
	name := tag // the repository: the tag follows the last ':' after the last '/'
	if i := strings.LastIndex(tag, ":"); i > strings.LastIndex(tag, "/") {
		name = tag[:i]
	}
	if m, _ := path.Match(pattern, tag); m {
		return true
	}
	m, _ := path.Match(pattern, name)
	return m
}

func (d *Daemon) containerCountByImage() map[digest.Digest]int {
	counts := map[digest.Digest]int{}
	for _, c := range d.containers.List() {
		counts[c.ImageID]++
	}
	return counts
}

// ImageInspect returns Docker's inspect document of an image.
func (d *Daemon) ImageInspect(ctx context.Context, name string) (*apiimage.InspectResponse, error) {
	img, err := d.images.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	cfg := img.Config.Config
	layers := make([]string, 0, len(img.Layers))
	for _, l := range img.Layers {
		layers = append(layers, l.DiffID.String())
	}
	resp := &apiimage.InspectResponse{
		ID:           img.ID.String(),
		RepoTags:     nonNil(img.RepoTags),
		RepoDigests:  nonNil(img.RepoDigests),
		Created:      timeString(img.Created),
		Author:       img.Config.Author,
		Config:       &cfg,
		Architecture: img.Config.Architecture,
		Variant:      img.Config.Variant,
		Os:           img.Config.OS,
		Size:         img.Size,
		GraphDriver:  &storage.DriverData{Name: "overlay2", Data: map[string]string{}},
		RootFS:       apiimage.RootFS{Type: "layers", Layers: layers},
	}
	if img.ChainID != "" {
		if dirs, err := d.snapshots.LayerDirs(img.ChainID); err == nil {
			resp.GraphDriver.Data = dirs
		}
	}
	if len(img.Config.History) > 0 {
		resp.Comment = img.Config.History[len(img.Config.History)-1].Comment
	}
	return resp, nil
}

// ImageHistory returns an image's build history, newest first.
func (d *Daemon) ImageHistory(ctx context.Context, name string) ([]apiimage.HistoryResponseItem, error) {
	img, err := d.images.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	var out []apiimage.HistoryResponseItem
	layer := 0
	for _, h := range img.Config.History {
		item := apiimage.HistoryResponseItem{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, Tags: []string{}}
		if h.Created != nil {
			item.Created = h.Created.Unix()
		}
		if !h.EmptyLayer && layer < len(img.Layers) {
			item.Size = img.Layers[layer].Size
			layer++
		}
		out = append([]apiimage.HistoryResponseItem{item}, out...)
	}
	if len(out) == 0 {
		out = []apiimage.HistoryResponseItem{{Created: img.Created.Unix(), Size: img.Size, Tags: []string{}}}
	}
	out[0].ID = img.ID.String()
	out[0].Tags = nonNil(img.RepoTags)
	return out, nil
}

// ImageTag tags an image.
func (d *Daemon) ImageTag(ctx context.Context, source, repo, tag string) error {
	ref := repo
	if tag != "" {
		ref += ":" + tag
	}
	if err := d.images.Tag(ctx, source, ref); err != nil {
		return err
	}
	img, err := d.images.Get(ctx, ref)
	if err == nil {
		d.events.Publish(apievents.ImageEventType, apievents.ActionTag, img.ID.String(), map[string]string{"name": ref})
	}
	return nil
}

// ImageDelete untags or deletes an image, refusing when a container uses it
// unless forced.
func (d *Daemon) ImageDelete(ctx context.Context, name string, force, noPrune bool) ([]apiimage.DeleteResponse, error) {
	resp, err := d.images.Delete(ctx, name, force, d.imageUser)
	for _, r := range resp {
		switch {
		case r.Untagged != "":
			d.events.Publish(apievents.ImageEventType, apievents.ActionUnTag, r.Untagged, map[string]string{"name": r.Untagged})
		case r.Deleted != "":
			d.events.Publish(apievents.ImageEventType, apievents.ActionDelete, r.Deleted, map[string]string{"name": r.Deleted})
		}
	}
	return resp, err
}

// imageUser tells the image store whether a container uses image id.
func (d *Daemon) imageUser(id digest.Digest) (string, bool, bool) {
	var stopped string
	for _, c := range d.containers.List() {
		if c.ImageID != id {
			continue
		}
		c.Lock()
		running := c.State.Running
		c.Unlock()
		if running {
			return c.ID, true, true
		}
		if stopped == "" {
			stopped = c.ID
		}
	}
	return stopped, false, stopped != ""
}

// ImageExport writes the named images as a `docker save` archive.
func (d *Daemon) ImageExport(ctx context.Context, names []string, out io.Writer) error {
	if err := d.images.Save(ctx, names, out); err != nil {
		return err
	}
	for _, n := range names {
		if img, err := d.images.Get(ctx, n); err == nil {
			d.events.Publish(apievents.ImageEventType, apievents.ActionSave, img.ID.String(), map[string]string{"name": n})
		}
	}
	return nil
}

// ImageLoad reads a `docker save` or OCI layout archive.
func (d *Daemon) ImageLoad(ctx context.Context, in io.Reader, quiet bool, out io.Writer) error {
	loaded, err := d.images.Load(ctx, in)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	for _, l := range loaded {
		msg := "Loaded image ID: " + l.ID.String()
		if l.Ref != "" {
			msg = "Loaded image: " + l.Ref
		}
		d.events.Publish(apievents.ImageEventType, apievents.ActionLoad, l.ID.String(), map[string]string{"name": l.Ref})
		if err := enc.Encode(jsonstream.Message{Stream: msg + "\n"}); err != nil {
			return err
		}
	}
	return nil
}

// ImageImport creates an image from a root filesystem tarball.
func (d *Daemon) ImageImport(ctx context.Context, in io.Reader, opts backend.ImageImportOptions, out io.Writer) error {
	ref := opts.Repo
	if ref != "" && opts.Tag != "" {
		ref += ":" + opts.Tag
	}
	img, err := d.images.Import(ctx, in, ref, opts.Changes, opts.Message)
	if err != nil {
		return err
	}
	d.events.Publish(apievents.ImageEventType, apievents.ActionImport, img.ID.String(), map[string]string{"name": ref})
	return json.NewEncoder(out).Encode(jsonstream.Message{Status: img.ID.String()})
}
