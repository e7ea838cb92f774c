package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/errdefs"
)

// DefaultSearchLimit is the number of results Docker asks a registry for.
const DefaultSearchLimit = 25

// hubSearchIndex is the v1 endpoint Docker searches for Docker Hub names.
const hubSearchIndex = "index.docker.io"

// SplitSearchTerm splits a search term into the registry to ask and the
// term to send it, by moby's rule: a first component with a dot, a colon
// or "localhost" names a registry, anything else is Docker Hub's.
func SplitSearchTerm(term string) (host, remote string) {
	parts := strings.SplitN(term, "/", 2)
	if len(parts) == 1 || (!strings.ContainsAny(parts[0], ".:") && parts[0] != "localhost") {
		return "docker.io", term
	}
	return parts[0], parts[1]
}

// Search asks the registry of term for repositories matching it, through
// the registry's v1 search endpoint (/v1/search), as Docker does for
// every registry: Docker Hub's is index.docker.io; a registry that does not
// serve the endpoint gives an error.
func (s *Service) Search(ctx context.Context, term string, limit int, a *registry.AuthConfig) ([]registry.SearchResult, error) {
	if limit < 1 || limit > 100 {
		return nil, errdefs.InvalidParameter("limit %d is outside the range of [1, 100]", limit)
	}
	host, remote := SplitSearchTerm(term)
	if host == "docker.io" || host == hubSearchIndex {
		host = hubSearchIndex
		remote = strings.TrimPrefix(remote, "library/")
	}
	schemes := []string{"https"}
	if s.isInsecure(host) {
		schemes = append(schemes, "http")
	}
	var errs []string
	for _, scheme := range schemes {
		u := fmt.Sprintf("%s://%s/v1/search?q=%s&n=%d", scheme, host, url.QueryEscape(remote), limit)
		res, answered, err := s.searchAt(ctx, u, a)
		if answered || ctx.Err() != nil {
			return res, err
		}
		errs = append(errs, fmt.Sprintf("%s attempt: %v", strings.ToUpper(scheme), err))
	}
	return nil, errdefs.Unavailable("invalid registry endpoint %q. %s", "https://"+host+"/v1/", strings.Join(errs, ". "))
}

// searchAt asks one endpoint; answered is false when no HTTP answer came
// (the next scheme may be tried).
func (s *Service) searchAt(ctx context.Context, u string, a *registry.AuthConfig) (_ []registry.SearchResult, answered bool, _ error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, true, errdefs.InvalidParameter("%s", err.Error())
	}
	if a != nil && a.Username != "" {
		req.SetBasicAuth(a.Username, a.Password)
	}
	rt := s.secure
	if s.isInsecure(req.URL.Host) {
		rt = s.insecure
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, true, fmt.Errorf("search %s: Unexpected status code 404 (the registry does not serve the v1 search endpoint)", req.URL.Host)
	case resp.StatusCode != http.StatusOK:
		return nil, true, fmt.Errorf("search %s: Unexpected status code %d", req.URL.Host, resp.StatusCode)
	}
	var out registry.SearchResults
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, true, fmt.Errorf("search %s: %w", req.URL.Host, err)
	}
	if out.Results == nil {
		out.Results = []registry.SearchResult{}
	}
	return out.Results, true, nil
}
