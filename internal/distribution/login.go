package distribution

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/errdefs"
)

// IndexServer is Docker Hub's server address in credentials.
const IndexServer = "https://index.docker.io/v1/"

// RegistryHost is the registry host of a login server address:
// "https://index.docker.io/v1/", "docker.io" -> "index.docker.io".
func RegistryHost(server string) string {
	s := server
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		s = u.Host
	}
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io":
		return "index.docker.io"
	}
	return s
}

// Login checks credentials against the registry's /v2/ endpoint (with the
// Bearer token flow where the registry asks for it).
func (s *Service) Login(ctx context.Context, a registry.AuthConfig) (registry.AuthResponse, error) {
	host := RegistryHost(a.ServerAddress)
	var opts []name.Option
	if s.isInsecure(host) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return registry.AuthResponse{}, errdefs.InvalidParameter("%s", err.Error())
	}
	repo := reg.Repo("library/x") // only its registry matters
	tr, err := s.client(ctx, repo, Authenticator(&a))
	if err != nil {
		return registry.AuthResponse{}, authError(err)
	}
	u := url.URL{Scheme: reg.Scheme(), Host: reg.RegistryStr(), Path: "/v2/"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return registry.AuthResponse{}, err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return registry.AuthResponse{}, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return registry.AuthResponse{}, authError(err)
	}
	return registry.AuthResponse{Status: "Login Succeeded"}, nil
}
