package format

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/distribution/reference"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/image"
)

// Default image formats (docker images).
const (
	DefaultImageTable        = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	DefaultImageTableDigests = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
)

// ImageHeader holds docker images's column titles.
var ImageHeader = HeaderContext{
	"ID":           "IMAGE ID",
	"Repository":   "REPOSITORY",
	"Tag":          "TAG",
	"Digest":       "DIGEST",
	"CreatedSince": "CREATED",
	"CreatedAt":    "CREATED AT",
	"Size":         "SIZE",
	"Containers":   "CONTAINERS",
	"VirtualSize":  "VIRTUAL SIZE",
	"SharedSize":   "SHARED SIZE",
	"UniqueSize":   "UNIQUE SIZE",
}

// ImageRow is one repository:tag line of docker images.
type ImageRow struct {
	I     image.Summary
	Repo  string
	TagV  string
	DigV  string
	Trunc bool
	Now   time.Time
}

// ID is the image ID, 12 hex unless --no-trunc.
func (r ImageRow) ID() string {
	if r.Trunc {
		return TruncateID(r.I.ID)
	}
	return r.I.ID
}

// Repository is the familiar repository name or <none>.
func (r ImageRow) Repository() string { return r.Repo }

// Tag is the tag or <none>.
func (r ImageRow) Tag() string { return r.TagV }

// Digest is the repo digest or <none>.
func (r ImageRow) Digest() string { return r.DigV }

// CreatedSince is "X ago".
func (r ImageRow) CreatedSince() string {
	return Since(r.Now, time.Unix(r.I.Created, 0))
}

// CreatedAt is the creation time as Go prints it.
func (r ImageRow) CreatedAt() string { return time.Unix(r.I.Created, 0).String() }

// Size is the image size with 3 significant digits.
func (r ImageRow) Size() string { return units.HumanSizeWithPrecision(float64(r.I.Size), 3) }

// VirtualSize is the image size as units.HumanSize prints it.
func (r ImageRow) VirtualSize() string { return units.HumanSize(float64(r.I.Size)) }

// Containers is the number of containers using the image, or N/A.
func (r ImageRow) Containers() string { return countOrNA(r.I.Containers) }

// SharedSize is the size shared with other images, or N/A.
func (r ImageRow) SharedSize() string {
	if r.I.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(r.I.SharedSize))
}

// UniqueSize is Size minus SharedSize, or N/A.
func (r ImageRow) UniqueSize() string {
	if r.I.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(r.I.Size - r.I.SharedSize))
}

func countOrNA(n int64) string {
	if n == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(n))
}

// MarshalJSON renders the row like `docker images --format json`.
func (r ImageRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"Containers":   r.Containers(),
		"CreatedAt":    r.CreatedAt(),
		"CreatedSince": r.CreatedSince(),
		"Digest":       r.Digest(),
		"ID":           r.ID(),
		"Repository":   r.Repository(),
		"SharedSize":   r.SharedSize(),
		"Size":         r.Size(),
		"Tag":          r.Tag(),
		"UniqueSize":   r.UniqueSize(),
		"VirtualSize":  r.VirtualSize(),
	})
}

// ImageRows expands images into one row per repository:tag (and per digest
// with digests), like docker: dangling images are <none> <none>.
func ImageRows(images []image.Summary, trunc, digests bool, now time.Time) []ImageRow {
	var rows []ImageRow
	for _, img := range images {
		add := func(repo, tag, dgst string) {
			rows = append(rows, ImageRow{I: img, Repo: repo, TagV: tag, DigV: dgst, Trunc: trunc, Now: now})
		}
		if isDangling(img) {
			add("<none>", "<none>", "<none>")
			continue
		}
		repoTags := map[string][]string{}
		repoDigests := map[string][]string{}
		var repoOrder []string
		for _, s := range img.RepoTags {
			ref, err := reference.ParseNormalizedNamed(s)
			if err != nil {
				continue
			}
			if nt, ok := ref.(reference.NamedTagged); ok {
				name := reference.FamiliarName(ref)
				if _, seen := repoTags[name]; !seen {
					repoOrder = append(repoOrder, name)
				}
				repoTags[name] = append(repoTags[name], nt.Tag())
			}
		}
		for _, s := range img.RepoDigests {
			ref, err := reference.ParseNormalizedNamed(s)
			if err != nil {
				continue
			}
			if c, ok := ref.(reference.Canonical); ok {
				name := reference.FamiliarName(ref)
				repoDigests[name] = append(repoDigests[name], c.Digest().String())
			}
		}
		for _, repo := range repoOrder {
			dgsts := repoDigests[repo]
			delete(repoDigests, repo)
			if !digests {
				dgsts = nil
			}
			for _, tag := range repoTags[repo] {
				if len(dgsts) == 0 {
					add(repo, tag, "<none>")
					continue
				}
				for _, d := range dgsts {
					add(repo, tag, d)
				}
			}
		}
		var rest []string
		for repo := range repoDigests {
			rest = append(rest, repo)
		}
		sort.Strings(rest)
		for _, repo := range rest {
			if digests {
				for _, d := range repoDigests[repo] {
					add(repo, "<none>", d)
				}
			} else {
				add(repo, "<none>", "")
			}
		}
	}
	return rows
}

func isDangling(img image.Summary) bool {
	if len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 {
		return true
	}
	return len(img.RepoTags) == 1 && img.RepoTags[0] == "<none>:<none>" &&
		len(img.RepoDigests) == 1 && img.RepoDigests[0] == "<none>@<none>"
}
