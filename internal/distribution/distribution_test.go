package distribution

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	apiregistry "github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/content"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
	"github.com/tug-project/tug/internal/snapshot/overlay"
	"github.com/tug-project/tug/internal/testutil"
)

func TestIsInsecure(t *testing.T) {
	s := New(Config{Insecure: []string{"myreg:5000", "10.1.0.0/16", "http://other.example/"}}, nil, nil, nil)
	for host, want := range map[string]bool{
		"localhost:5000":   true,
		"127.0.0.1:5000":   true,
		"127.8.9.1":        true,
		"myreg:5000":       true,
		"myreg:5001":       false,
		"10.1.2.3:443":     true,
		"10.2.2.3":         false,
		"other.example":    true,
		"docker.io":        false,
		"registry.example": false,
	} {
		if got := s.isInsecure(host); got != want {
			t.Errorf("isInsecure(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestRegistryHost(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "index.docker.io",
		"https://index.docker.io/v1/": "index.docker.io",
		"docker.io":                   "index.docker.io",
		"127.0.0.1:5000":              "127.0.0.1:5000",
		"http://127.0.0.1:5000/v2/":   "127.0.0.1:5000",
		"registry.example.com":        "registry.example.com",
	} {
		if got := RegistryHost(in); got != want {
			t.Errorf("RegistryHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeAuth(t *testing.T) {
	raw := `{"username":"u","password":"p:/+?","serveraddress":"h"}`
	want := &apiregistry.AuthConfig{Username: "u", Password: "p:/+?", ServerAddress: "h"}
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.StdEncoding, base64.RawURLEncoding} {
		got, err := DecodeAuth(enc.EncodeToString([]byte(raw)))
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("DecodeAuth() = %+v, %v; want %+v", got, err, want)
		}
	}
	if got, err := DecodeAuth(""); got != nil || err != nil {
		t.Errorf("DecodeAuth(\"\") = %v, %v; want nil, nil", got, err)
	}
	if _, err := DecodeAuth("!!!"); !errors.Is(err, errdefs.ErrInvalidParameter) {
		t.Errorf("DecodeAuth(garbage) = %v, want InvalidParameter", err)
	}
}

func TestSelectPlatform(t *testing.T) {
	d := func(arch, variant string) v1.Descriptor {
		return v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch, Variant: variant}, Annotations: map[string]string{"n": arch + variant}}
	}
	list := []v1.Descriptor{d("arm", "v7"), d("arm64", "v8"), d("amd64", "v2"), d("amd64", "")}
	for _, tc := range []struct {
		plat v1.Platform
		want string
	}{
		{v1.Platform{OS: "linux", Architecture: "amd64"}, "amd64"},
		{v1.Platform{OS: "linux", Architecture: "amd64", Variant: "v2"}, "amd64v2"},
		{v1.Platform{OS: "linux", Architecture: "arm64"}, "arm64v8"},
		{v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, "armv7"},
		{v1.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}, ""},
		{v1.Platform{OS: "windows", Architecture: "amd64"}, ""},
	} {
		got, ok := selectPlatform(list, tc.plat)
		name := ""
		if ok {
			name = got.Annotations["n"]
		}
		if name != tc.want {
			t.Errorf("selectPlatform(%v) = %q, want %q", tc.plat, name, tc.want)
		}
	}
}

func TestPullError(t *testing.T) {
	named, _ := reference.ParseNormalizedNamed("busybox:nosuch")
	req, _ := http.NewRequest(http.MethodHead, "https://index.docker.io/v2/library/busybox/manifests/nosuch", nil)
	for _, tc := range []struct {
		err       *transport.Error
		anonymous bool
		want      string
		class     error
	}{
		{&transport.Error{StatusCode: 404, Errors: []transport.Diagnostic{{Code: transport.ManifestUnknownErrorCode, Message: "manifest unknown"}}}, true,
			"manifest for busybox:nosuch not found: manifest unknown: manifest unknown", errdefs.ErrNotFound},
		{&transport.Error{StatusCode: 404, Errors: []transport.Diagnostic{{Code: transport.NameUnknownErrorCode, Message: "repository name not known to registry"}}}, true,
			"pull access denied for busybox, repository does not exist or may require 'docker login': name unknown: repository name not known to registry", errdefs.ErrNotFound},
		{&transport.Error{StatusCode: 401, Request: req}, true,
			"pull access denied for busybox, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", errdefs.ErrNotFound},
		{&transport.Error{StatusCode: 401, Request: req}, false,
			`Head "https://index.docker.io/v2/library/busybox/manifests/nosuch": unauthorized: incorrect username or password`, errdefs.ErrUnauthorized},
	} {
		err := pullError(tc.err, named, tc.anonymous)
		if err.Error() != tc.want || !errors.Is(err, tc.class) {
			t.Errorf("pullError(%v) = %q (class ok: %v), want %q", tc.err, err, errors.Is(err, tc.class), tc.want)
		}
	}
}

// TestPullThroughMirror pulls a Docker Hub name through registry-mirrors:
// the first mirror is down, the second serves it (the origin is never
// contacted: tests talk to 127.0.0.1 only).
func TestPullThroughMirror(t *testing.T) {
	testutil.RequiresRoot(t)
	testutil.RequiresBusybox(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	tb := testutil.BusyboxTar(t)
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tb)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(host + "/library/busybox:latest")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	mdigest, _ := img.Digest()

	root := t.TempDir()
	cs, err := content.NewStore(root + "/content")
	if err != nil {
		t.Fatal(err)
	}
	sn, err := overlay.New(root + "/overlay")
	if err != nil {
		t.Fatal(err)
	}
	is, err := image.NewStore(root+"/image", cs, sn)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Mirrors: []string{dead.URL, srv.URL}}, cs, sn, is)
	busybox, err := reference.ParseNormalizedNamed("busybox")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	got, err := s.Pull(context.Background(), PullOptions{Ref: busybox, Progress: &out})
	if err != nil {
		t.Fatalf("Pull() = %v\n%s", err, out.String())
	}
	if want := []string{"busybox:latest"}; !cmp.Equal(got.RepoTags, want) {
		t.Errorf("RepoTags = %v, want %v", got.RepoTags, want)
	}
	if want := []string{"busybox@" + mdigest.String()}; !cmp.Equal(got.RepoDigests, want) {
		t.Errorf("RepoDigests = %v, want %v", got.RepoDigests, want)
	}
	for _, w := range []string{`"status":"Pulling from library/busybox","id":"latest"`, `"status":"Pull complete"`, `Status: Downloaded newer image for busybox:latest`} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("progress lacks %s:\n%s", w, out.String())
		}
	}
}
