package distribution

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/content"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
	"github.com/tug-project/tug/internal/snapshot/overlay"
)

// Config is the daemon's registry configuration (daemon.json keys).
type Config struct {
	Mirrors []string // registry-mirrors: URLs used for docker.io names, the origin as fallback
	// HostMirrors are mirrors of other registries (daemon.json cri
	// registry-mirrors, as containerd's CRI has them): registry host ->
	// mirror URLs, tried in order before the host itself.
	HostMirrors map[string][]string
	Insecure    []string // insecure-registries: host[:port] or CIDR; plain HTTP or unverified TLS
	// MaxDownloads bounds the layers the daemon downloads at once, over
	// all pulls (daemon.json max-concurrent-downloads, default 3).
	MaxDownloads int
	// MaxUploads bounds the layers the daemon uploads at once, over all
	// pushes (daemon.json max-concurrent-uploads, default 5).
	MaxUploads int
	// UserAgent is sent to registries.
	UserAgent string
}

// Service pulls and pushes images to and from the stores.
type Service struct {
	cfg    Config
	cs     *content.Store
	sn     *overlay.Snapshotter
	images *image.Store

	secure, insecure http.RoundTripper

	downloads, uploads chan struct{} // daemon-wide transfer slots

	mu      sync.Mutex
	flights map[string]*flight // layer downloads in progress, by blob digest
	active  map[string]int     // blobs and chains pulls in progress need
}

// New returns a Service over the stores.
func New(cfg Config, cs *content.Store, sn *overlay.Snapshotter, images *image.Store) *Service {
	if cfg.MaxDownloads <= 0 {
		cfg.MaxDownloads = 3
	}
	if cfg.MaxUploads <= 0 {
		cfg.MaxUploads = 5
	}
	base := func(skipVerify bool) http.RoundTripper {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		t.ResponseHeaderTimeout = 2 * time.Minute
		t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		if skipVerify {
			t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // insecure-registries asks for it
		}
		return t
	}
	return &Service{
		cfg: cfg, cs: cs, sn: sn, images: images,
		secure: base(false), insecure: base(true),
		flights: map[string]*flight{}, active: map[string]int{},
		downloads: make(chan struct{}, cfg.MaxDownloads), uploads: make(chan struct{}, cfg.MaxUploads),
	}
}

// isInsecure follows Docker: loopback and the configured registries
// (host[:port], or a CIDR holding the host's IP) are insecure.
func (s *Service) isInsecure(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	if ip != nil && ip.IsLoopback() {
		return true
	}
	for _, e := range s.cfg.Insecure {
		e = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(e, "http://"), "https://"), "/")
		if e == host || e == h {
			return true
		}
		if _, n, err := net.ParseCIDR(e); err == nil && ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// repository is the go-containerregistry repository of named on host
// (the reference's own registry unless a mirror is used).
func (s *Service) repository(host, path string) (name.Repository, error) {
	var opts []name.Option
	if s.isInsecure(host) {
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(host+"/"+path, opts...)
	if err != nil {
		return name.Repository{}, errdefs.InvalidParameter("%s", err.Error())
	}
	return repo, nil
}

// mirrorHosts returns the registry hosts of the mirrors of domain.
func (s *Service) mirrorHosts(domain string) []string {
	mirrors := s.cfg.HostMirrors[domain]
	if domain == "docker.io" {
		mirrors = append(slices.Clone(s.cfg.Mirrors), mirrors...)
	}
	var out []string
	for _, m := range mirrors {
		u, err := url.Parse(m)
		if err != nil || u.Host == "" {
			continue
		}
		out = append(out, u.Host)
	}
	return out
}

// client returns an authenticated transport for repo with the given
// scopes (it pings the registry and, for Bearer, fetches a token).
func (s *Service) client(ctx context.Context, repo name.Repository, auth authn.Authenticator, scopes ...string) (http.RoundTripper, error) {
	base := s.secure
	if s.isInsecure(repo.RegistryStr()) {
		base = s.insecure
	}
	ua := s.cfg.UserAgent
	if ua == "" {
		ua = "tug/" + runtime.GOOS
	}
	return transport.NewWithContext(ctx, repo.Registry, auth, transport.NewUserAgent(base, ua), scopes)
}

// Authenticator turns Docker's AuthConfig into go-containerregistry's;
// an empty one is anonymous.
func Authenticator(a *registry.AuthConfig) authn.Authenticator {
	if a == nil || (a.Username == "" && a.Password == "" && a.Auth == "" && a.IdentityToken == "" && a.RegistryToken == "") {
		return authn.Anonymous
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      a.Username,
		Password:      a.Password,
		Auth:          a.Auth,
		IdentityToken: a.IdentityToken,
		RegistryToken: a.RegistryToken,
	})
}

// DecodeAuth decodes the X-Registry-Auth header (base64url JSON of
// registry.AuthConfig); an empty header is anonymous.
func DecodeAuth(header string) (*registry.AuthConfig, error) {
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
		return nil, errdefs.InvalidParameter("invalid X-Registry-Auth header: %v", err)
	}
	var a registry.AuthConfig
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, errdefs.InvalidParameter("invalid X-Registry-Auth header: %v", err)
	}
	return &a, nil
}
