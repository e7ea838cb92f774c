package command

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"os"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/moby/moby/api/types/registry"
)

// IndexServer is Docker Hub's key in config.json's "auths".
const IndexServer = "https://index.docker.io/v1/"

// SetConfigDir sets the client configuration directory (--config);
// without it, DOCKER_CONFIG or ~/.docker.
func SetConfigDir(dir string) { config.SetDir(dir) }

// ConfigFile loads the Docker-compatible config.json (credentials,
// credential helpers); a missing file is an empty config.
func ConfigFile(stderr io.Writer) *configfile.ConfigFile {
	if stderr == nil {
		stderr = os.Stderr
	}
	return config.LoadDefaultConfigFile(stderr)
}

// ServerKey is the config.json key of the registry a reference names:
// IndexServer for Docker Hub, host[:port] otherwise.
func ServerKey(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return IndexServer
	}
	if d := reference.Domain(named); d != "docker.io" {
		return d
	}
	return IndexServer
}

// EncodeAuth is the X-Registry-Auth header value for a.
func EncodeAuth(a registry.AuthConfig) string {
	b, err := json.Marshal(a)
	if err != nil {
		return ""
	}
	return base64.URLEncoding.EncodeToString(b)
}

// RegistryAuth returns the X-Registry-Auth header for the registry of
// ref from the stored credentials ("" when there are none).
func RegistryAuth(c *Cli, ref string) string {
	key := ServerKey(ref)
	ac, err := ConfigFile(c.Err()).GetAuthConfig(key)
	if err != nil || (ac.Username == "" && ac.IdentityToken == "" && ac.RegistryToken == "" && ac.Auth == "") {
		return ""
	}
	return EncodeAuth(registry.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		ServerAddress: key,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	})
}

// AllAuths returns every stored credential by registry, which the docker
// CLI sends with a build (X-Registry-Config) for its FROM pulls.
func AllAuths(c *Cli) map[string]registry.AuthConfig {
	all, err := ConfigFile(c.Err()).GetAllCredentials()
	if err != nil || len(all) == 0 {
		return nil
	}
	out := make(map[string]registry.AuthConfig, len(all))
	for k, ac := range all {
		out[k] = registry.AuthConfig{
			Username: ac.Username, Password: ac.Password, Auth: ac.Auth, ServerAddress: ac.ServerAddress,
			IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken,
		}
	}
	return out
}
