package distribution

import (
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/registry"
)

// ServiceConfig is the registry configuration `info` shows, as Docker
// builds it: loopback and the configured CIDRs are insecure, docker.io is
// the official index with the mirrors, and each insecure host is an index
// of its own.
func (s *Service) ServiceConfig() *registry.ServiceConfig {
	cfg := &registry.ServiceConfig{
		InsecureRegistryCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		IndexConfigs:          map[string]*registry.IndexInfo{},
		Mirrors:               []string{},
	}
	for _, m := range s.cfg.Mirrors {
		if u, err := url.Parse(m); err == nil && u.Host != "" {
			cfg.Mirrors = append(cfg.Mirrors, strings.TrimSuffix(u.String(), "/")+"/")
		}
	}
	for _, e := range s.cfg.Insecure {
		e = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(e, "http://"), "https://"), "/")
		if _, n, err := net.ParseCIDR(e); err == nil {
			if p, err := netip.ParsePrefix(n.String()); err == nil && !slices.Contains(cfg.InsecureRegistryCIDRs, p) {
				cfg.InsecureRegistryCIDRs = append(cfg.InsecureRegistryCIDRs, p)
			}
			continue
		}
		cfg.IndexConfigs[e] = &registry.IndexInfo{Name: e, Mirrors: []string{}, Secure: false, Official: false}
	}
	cfg.IndexConfigs["docker.io"] = &registry.IndexInfo{Name: "docker.io", Mirrors: slices.Clone(cfg.Mirrors), Secure: true, Official: true}
	return cfg
}
