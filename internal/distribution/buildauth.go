package distribution

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/errdefs"
)

// officialIndex is the key Docker's clients store Docker Hub's
// credentials under.
const officialIndex = "https://index.docker.io/v1/"

// DecodeAuthConfigs decodes POST /build's X-Registry-Config header: base64
// JSON of the credentials by registry (the docker CLI sends every one it
// has). An empty header is none.
func DecodeAuthConfigs(header string) (map[string]registry.AuthConfig, error) {
	if header == "" {
		return nil, nil
	}
	var b []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.StdEncoding, base64.RawURLEncoding, base64.RawStdEncoding} {
		if b, err = enc.DecodeString(header); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errdefs.InvalidParameter("invalid X-Registry-Config header: %v", err)
	}
	var m map[string]registry.AuthConfig
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errdefs.InvalidParameter("invalid X-Registry-Config header: %v", err)
	}
	return m, nil
}

// ResolveAuth picks the credentials for a registry (a reference's domain)
// as moby's ResolveAuthConfig does: Docker Hub's under the official index
// URL, others under their host, or a key that is a URL of that host. nil
// when there are none (anonymous).
func ResolveAuth(auths map[string]registry.AuthConfig, domain string) *registry.AuthConfig {
	key := domain
	if domain == "docker.io" || domain == "index.docker.io" {
		key = officialIndex
	}
	if a, ok := auths[key]; ok {
		return &a
	}
	for k, a := range auths {
		if hostOf(k) == key || key == officialIndex && hostOf(k) == "index.docker.io" {
			return &a
		}
	}
	return nil
}

// hostOf is moby's ConvertToHostname: a registry key without scheme and
// path.
func hostOf(k string) string {
	k = strings.TrimPrefix(strings.TrimPrefix(k, "http://"), "https://")
	h, _, _ := strings.Cut(k, "/")
	return h
}
