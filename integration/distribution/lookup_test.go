package distribution

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// TestDistributionInspectAsksTheRegistry: GET /distribution/{name}/json
// answers with the registry's descriptor of the reference and the
// platforms behind it, without pulling anything.
func TestDistributionInspectAsksTheRegistry(t *testing.T) {
	d := testutil.StartDaemon(t)
	ctx := t.Context()
	host, _ := startRegistry(t, nil)
	img := makeImage(t, []string{"true"}, busyboxLayer(t))
	imgDigest := push(t, host+"/single:v1", img)
	arm, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	idxDigest := pushIndex(t, host+"/multi:latest", idx)

	res, err := d.Client.DistributionInspect(ctx, host+"/single:v1", client.DistributionInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Descriptor.Digest.String() != imgDigest.String() || res.Descriptor.Size == 0 ||
		len(res.Platforms) != 1 || res.Platforms[0].OS != "linux" || res.Platforms[0].Architecture != "amd64" {
		t.Errorf("DistributionInspect(single:v1) = %+v, want digest %s and linux/amd64", res.DistributionInspect, imgDigest)
	}
	res, err = d.Client.DistributionInspect(ctx, host+"/multi", client.DistributionInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Descriptor.Digest.String() != idxDigest.String() || len(res.Platforms) != 2 ||
		res.Platforms[0].Architecture != "arm64" || res.Platforms[0].Variant != "v8" || res.Platforms[1].Architecture != "amd64" {
		t.Errorf("DistributionInspect(multi) = %+v, want the index %s (latest) with arm64/v8 and amd64", res.DistributionInspect, idxDigest)
	}
	if r := d.Tug("images", "-q", host+"/*"); r.ExitCode != 0 || r.Stdout != "" {
		t.Errorf("tug images %s/*: %s\nwant nothing pulled by DistributionInspect", host, r)
	}
	_, err = d.Client.DistributionInspect(ctx, host+"/single:nope", client.DistributionInspectOptions{})
	if !cerrdefs.IsNotFound(err) {
		t.Errorf("DistributionInspect(missing tag) error = %v, want 404", err)
	}
}

// TestImageSearchAsksTheRegistrysV1Endpoint: search goes, as Docker's
// does, to the v1 search endpoint of the registry the term names (Docker
// Hub's for plain names), with Docker's limit and filters.
func TestImageSearchAsksTheRegistrysV1Endpoint(t *testing.T) {
	d := testutil.StartDaemon(t)
	ctx := t.Context()
	var queries []string
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/search" {
			http.NotFound(w, r)
			return
		}
		queries = append(queries, r.URL.RawQuery)
		_ = json.NewEncoder(w).Encode(registry.SearchResults{Query: r.URL.Query().Get("q"), NumResults: 2, Results: []registry.SearchResult{
			{Name: "team/app", Description: "the app", StarCount: 7, IsOfficial: true},
			{Name: "team/app-tools", Description: "its tools", StarCount: 1},
		}})
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	host := l.Addr().String()

	res, err := d.Client.ImageSearch(ctx, host+"/team/app", client.ImageSearchOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 2 || res.Items[0].Name != "team/app" || res.Items[0].StarCount != 7 {
		t.Errorf("ImageSearch() = %+v, want team/app and team/app-tools", res.Items)
	}
	if len(queries) != 1 || queries[0] != "q=team%2Fapp&n=10" {
		t.Errorf("registry saw queries %q, want q=team%%2Fapp&n=10", queries)
	}
	res, err = d.Client.ImageSearch(ctx, host+"/team/app", client.ImageSearchOptions{Filters: make(client.Filters).Add("stars", "5")})
	if err != nil || len(res.Items) != 1 || res.Items[0].Name != "team/app" {
		t.Errorf("ImageSearch(stars=5) = %+v, %v; want team/app only", res.Items, err)
	}
	if _, err := d.Client.ImageSearch(ctx, host+"/x", client.ImageSearchOptions{Limit: 101}); !cerrdefs.IsInvalidArgument(err) {
		t.Errorf("ImageSearch(limit 101) error = %v, want 400", err)
	}

	r := d.Docker("search", "--filter", "is-official=true", host+"/team/app")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "team/app") || strings.Contains(r.Stdout, "app-tools") ||
		!strings.Contains(r.Stdout, "the app") {
		t.Errorf("docker search --filter is-official=true: %s\nwant team/app only", r)
	}
}
