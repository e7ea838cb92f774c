package image

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/errdefs"
)

// ShortID is Docker's 12-character form of an image ID.
func ShortID(id digest.Digest) string {
	s := id.Encoded()
	if s == "" {
		s = string(id)
	}
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}

// Normalize parses a user-supplied image name into its full form, adding
// Docker Hub's defaults: "busybox" -> "docker.io/library/busybox:latest".
// A digested reference keeps its digest and gets no tag.
func Normalize(s string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, errdefs.InvalidParameter("%s", err.Error())
	}
	return reference.TagNameOnly(named), nil
}

var anchoredHex64 = regexp.MustCompile(`^[a-f0-9]{64}$`)

// ParseTag parses the target of `docker tag`, `docker import` and the
// like: normalized, ":latest" by default, no digest.
func ParseTag(s string) (reference.NamedTagged, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, errdefs.InvalidParameter("%s", err.Error())
	}
	if _, ok := named.(reference.Canonical); ok {
		return nil, errdefs.InvalidParameter("refusing to create a tag with a digest reference")
	}
	if reference.FamiliarName(named) == string(digest.Canonical) {
		return nil, errdefs.InvalidParameter("refusing to create an ambiguous tag using digest algorithm as name")
	}
	if anchoredHex64.MatchString(reference.Path(named)) || anchoredHex64.MatchString(reference.FamiliarName(named)) {
		return nil, errdefs.InvalidParameter("invalid repository name (%s), cannot specify 64-byte hexadecimal strings", reference.FamiliarName(named))
	}
	tagged, ok := reference.TagNameOnly(named).(reference.NamedTagged)
	if !ok {
		return nil, errdefs.InvalidParameter("invalid reference %q", s)
	}
	return tagged, nil
}

// notFound is Docker's "No such image" error for what the user typed.
func notFound(nameOrID string) error {
	ref, err := reference.ParseAnyReference(nameOrID)
	if err != nil {
		return errdefs.NotFound("No such image: %s", nameOrID)
	}
	if named, ok := ref.(reference.Named); ok {
		ref = reference.TagNameOnly(named)
	}
	return errdefs.NotFound("No such image: %s", reference.FamiliarString(ref))
}

var hexPrefix = regexp.MustCompile(`^[a-f0-9]+$`)

// matchIDPrefix returns the single ID in ids that term is a prefix of
// (term may carry "sha256:"), as Docker's digest set lookup does;
// ambiguous or malformed terms match nothing.
func matchIDPrefix(ids []digest.Digest, term string) (digest.Digest, bool) {
	alg, hex, hasAlg := strings.Cut(term, ":")
	if !hasAlg {
		hex, alg = term, string(digest.SHA256)
	}
	if alg != string(digest.SHA256) || hex == "" || !hexPrefix.MatchString(hex) || len(hex) > 64 {
		return "", false
	}
	var found digest.Digest
	for _, id := range ids {
		if strings.HasPrefix(id.Encoded(), hex) {
			if found != "" && found != id {
				return "", false
			}
			found = id
		}
	}
	return found, found != ""
}

// isImageIDPrefix reports whether s names the image by ID rather than by
// reference (moby's isImageIDPrefix).
func isImageIDPrefix(id digest.Digest, s string) bool {
	return strings.HasPrefix(id.String(), s) || strings.HasPrefix(id.Encoded(), s)
}

func parseDigestRef(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		return "", fmt.Errorf("invalid image ID %q: %w", s, errdefs.ErrInvalidParameter)
	}
	return d, nil
}
