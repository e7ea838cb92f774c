package image

import (
	"context"
	"net/http"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

func (rt *Router) getImagesJSON(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := server.DecodeFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	// API 1.24 clients send a repository glob as `filter`.
	if ref := r.Form.Get("filter"); ref != "" && server.VersionBefore(ctx, "1.25") && len(f["reference"]) == 0 {
		f["reference"] = []string{ref}
	}
	list, err := rt.backend.ImageList(ctx, backend.ImageListOptions{All: server.BoolValue(r, "all"), Filters: f})
	if err != nil {
		return err
	}
	if list == nil {
		list = []image.Summary{}
	}
	useNone := server.VersionBefore(ctx, "1.43")
	noContainers := server.VersionBefore(ctx, "1.51")
	for i := range list {
		s := &list[i]
		if useNone && len(s.RepoTags) == 0 && len(s.RepoDigests) == 0 {
			s.RepoTags, s.RepoDigests = []string{"<none>:<none>"}, []string{"<none>@<none>"}
		}
		if s.RepoTags == nil {
			s.RepoTags = []string{}
		}
		switch {
		case useNone && len(s.RepoDigests) == 0:
			s.RepoDigests = nil // before 1.43, Docker's null
		case s.RepoDigests == nil:
			s.RepoDigests = []string{}
		}
		if noContainers {
			s.Containers = -1
		}
	}
	doc, err := summariesForVersion(ctx, list)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, doc)
}

func (rt *Router) getImageJSON(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	resp, err := rt.backend.ImageInspect(ctx, vars["name"])
	if err != nil {
		return err
	}
	if resp.RepoTags == nil {
		resp.RepoTags = []string{}
	}
	if resp.RepoDigests == nil {
		resp.RepoDigests = []string{}
	}
	doc, err := inspectForVersion(ctx, resp)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, doc)
}

func (rt *Router) getImageHistory(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	h, err := rt.backend.ImageHistory(ctx, vars["name"])
	if err != nil {
		return err
	}
	if h == nil {
		h = []image.HistoryResponseItem{}
	}
	return server.WriteJSON(w, http.StatusOK, h)
}

// splitRepoTag validates repo and tag the way Docker's RepoTagReference
// does and returns them apart: repo may carry the tag itself ("app:1"),
// which clients send for import.
func splitRepoTag(repo, tag string) (string, string, error) {
	ref, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return "", "", errdefs.InvalidParameter("%s", err.Error())
	}
	if _, ok := ref.(reference.Digested); ok {
		return "", "", errdefs.InvalidParameter("cannot import digest reference")
	}
	if tagged, ok := ref.(reference.NamedTagged); ok {
		repo = strings.TrimSuffix(repo, ":"+tagged.Tag())
		if tag == "" {
			tag = tagged.Tag()
		}
	}
	if tag != "" {
		if _, err := reference.WithTag(ref, tag); err != nil {
			return "", "", errdefs.InvalidParameter("%s", err.Error())
		}
	}
	return repo, tag, nil
}

// pullReference joins the fromImage and tag of a pull into one reference;
// the tag may be a digest. Without a tag, every tag of the repository is
// pulled (all).
func pullReference(img, tag string) (ref reference.Named, all bool, err error) {
	ref, err = reference.ParseNormalizedNamed(img)
	if err != nil {
		return nil, false, errdefs.InvalidParameter("%s", err.Error())
	}
	if tag == "" {
		return ref, true, nil
	}
	if dgst, derr := digest.Parse(tag); derr == nil {
		ref, err = reference.WithDigest(reference.TrimNamed(ref), dgst)
	} else {
		ref, err = reference.WithTag(ref, tag)
	}
	if err != nil {
		return nil, false, errdefs.InvalidParameter("%s", err.Error())
	}
	return ref, false, nil
}

func (rt *Router) postImageTag(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	repo, tag := r.Form.Get("repo"), r.Form.Get("tag")
	if repo == "" {
		return errdefs.InvalidParameter("repository name must have at least one component")
	}
	repo, tag, err := splitRepoTag(repo, tag)
	if err != nil {
		return err
	}
	if ref, _ := reference.ParseNormalizedNamed(repo); reference.FamiliarName(ref) == "sha256" {
		return errdefs.InvalidParameter("refusing to create an ambiguous tag using digest algorithm as name")
	}
	if err := rt.backend.ImageTag(ctx, vars["name"], repo, tag); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (rt *Router) deleteImage(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	name := vars["name"]
	if strings.TrimSpace(name) == "" {
		return errdefs.InvalidParameter("image name cannot be blank")
	}
	list, err := rt.backend.ImageDelete(ctx, name, server.BoolValue(r, "force"), server.BoolValue(r, "noprune"))
	if err != nil {
		return err
	}
	if list == nil {
		list = []image.DeleteResponse{}
	}
	return server.WriteJSON(w, http.StatusOK, list)
}

func (rt *Router) getImagesGet(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	names := r.Form["names"]
	if name, ok := vars["name"]; ok {
		names = []string{name}
	}
	w.Header().Set("Content-Type", "application/x-tar")
	out := server.NewWriteFlusher(w, false)
	if err := rt.backend.ImageExport(ctx, names, out); err != nil {
		if !out.Written() {
			w.Header().Del("Content-Type")
			return err
		}
		_ = server.WriteStreamError(out, err)
	}
	return nil
}

func (rt *Router) postImagesLoad(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	quiet := server.BoolValueOrDefault(r, "quiet", true)
	w.Header().Set("Content-Type", "application/json")
	out := server.NewWriteFlusher(w, true)
	if err := rt.backend.ImageLoad(ctx, r.Body, quiet, out); err != nil {
		// Docker reports load errors in the stream, even before it started.
		_ = server.WriteStreamError(out, err)
	}
	return nil
}

func (rt *Router) postImagesCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var platform string
	if !server.VersionBefore(ctx, "1.32") {
		platform = r.Form.Get("platform")
	}
	w.Header().Set("Content-Type", "application/json")
	out := server.NewWriteFlusher(w, true)

	var err error
	if img := r.Form.Get("fromImage"); img != "" {
		// "pull -a" may send a name with a trailing ':'.
		ref, all, perr := pullReference(strings.TrimSuffix(img, ":"), r.Form.Get("tag"))
		if perr != nil {
			return perr
		}
		err = rt.backend.ImagePull(ctx, backend.ImagePullOptions{
			Ref:        ref,
			AllTags:    all,
			Platform:   platform,
			AuthHeader: r.Header.Get("X-Registry-Auth"),
		}, out)
	} else {
		src := r.Form.Get("fromSrc")
		if src != "-" {
			return errdefs.NotImplemented("importing from a URL is not supported: use fromSrc=- with the archive as the body")
		}
		repo, tag := r.Form.Get("repo"), r.Form.Get("tag")
		if repo != "" {
			var serr error
			if repo, tag, serr = splitRepoTag(repo, tag); serr != nil {
				return serr
			}
		}
		msg := r.Form.Get("message")
		if msg == "" {
			msg = "Imported from " + src
		}
		err = rt.backend.ImageImport(ctx, r.Body, backend.ImageImportOptions{
			Repo:     repo,
			Tag:      tag,
			Changes:  r.Form["changes"],
			Message:  msg,
			Platform: platform,
		}, out)
	}
	if err != nil {
		if !out.Written() {
			w.Header().Del("Content-Type")
			return err
		}
		_ = server.WriteStreamError(out, err)
	}
	return nil
}
