package distribution

import (
	"encoding/base64"
	"testing"

	"github.com/moby/moby/api/types/registry"
)

func TestResolveAuthAsMobyDoes(t *testing.T) {
	auths := map[string]registry.AuthConfig{
		"https://index.docker.io/v1/": {Username: "hub"},
		"localhost:5000":              {Username: "local"},
		"https://reg.example/v2/":     {Username: "example"},
	}
	for domain, want := range map[string]string{
		"docker.io":      "hub",
		"localhost:5000": "local",
		"reg.example":    "example",
		"other.example":  "",
	} {
		got := ResolveAuth(auths, domain)
		if want == "" && got != nil || want != "" && (got == nil || got.Username != want) {
			t.Errorf("ResolveAuth(%q) = %+v, want %q", domain, got, want)
		}
	}
}

func TestDecodeAuthConfigs(t *testing.T) {
	h := base64.URLEncoding.EncodeToString([]byte(`{"localhost:5000":{"username":"u","password":"p"}}`))
	m, err := DecodeAuthConfigs(h)
	if err != nil || m["localhost:5000"].Username != "u" {
		t.Errorf("DecodeAuthConfigs() = %v, %v", m, err)
	}
	if _, err := DecodeAuthConfigs("!!"); err == nil {
		t.Error("DecodeAuthConfigs(garbage) = nil error")
	}
	if m, err := DecodeAuthConfigs(""); err != nil || m != nil {
		t.Errorf("DecodeAuthConfigs(\"\") = %v, %v; want none", m, err)
	}
}
