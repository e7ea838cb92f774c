package distribution

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// tokenAuth wraps a registry in Docker Hub's Bearer token flow: /v2/
// answers 401 with a challenge; /token hands out a token for user:pass
// (and a useless one to anonymous callers).
func tokenAuth(user, pass string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				tok := "anonymous"
				if u, p, ok := r.BasicAuth(); ok {
					if u != user || p != pass {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(http.StatusUnauthorized)
						fmt.Fprint(w, `{"details":"incorrect username or password"}`)
						return
					}
					tok = "good"
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]string{"token": tok, "access_token": tok})
				return
			}
			if r.Header.Get("Authorization") != "Bearer good" {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test-registry"`, r.Host))
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// login against a registry with token auth stores the credentials push
// and pull then use; logout removes them.
func TestLoginWithTokenAuth(t *testing.T) {
	d := testutil.StartDaemon(t)
	host, _ := startRegistry(t, tokenAuth("alice", "s3cret"))
	cfg := t.TempDir()
	ref := host + "/private:v1"
	d.ImportBusybox(ref)

	if r := d.Tug("--config", cfg, "push", ref); r.ExitCode != 1 || !strings.Contains(r.Stderr, "unauthorized") {
		t.Errorf("push without login: %s", r)
	}
	if r := d.Tug("--config", cfg, "login", "-u", "alice", "-p", "wrong", host); r.ExitCode != 1 || !strings.Contains(r.Stderr, "unauthorized") {
		t.Errorf("login with a wrong password: %s", r)
	}
	r := d.TugIn("s3cret\n", "--config", cfg, "login", "-u", "alice", "--password-stdin", host)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "Login Succeeded") {
		t.Fatalf("login: %s\n%s", r, d.Log())
	}
	b, err := os.ReadFile(filepath.Join(cfg, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cf struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(b, &cf); err != nil || cf.Auths[host].Auth != base64.StdEncoding.EncodeToString([]byte("alice:s3cret")) {
		t.Errorf("config.json = %s (%v)", b, err)
	}
	if r := d.Tug("--config", cfg, "push", ref); r.ExitCode != 0 {
		t.Fatalf("push after login: %s", r)
	}
	if r := d.Tug("rmi", ref); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("--config", t.TempDir(), "pull", ref); r.ExitCode != 1 || !strings.Contains(r.Stderr, "pull access denied for "+host+"/private") {
		t.Errorf("pull without credentials: %s", r)
	}
	if r := d.Tug("--config", cfg, "pull", ref); r.ExitCode != 0 {
		t.Fatalf("pull with credentials: %s", r)
	}
	if r := d.Tug("--config", cfg, "run", "--rm", ref, "echo", "private"); r.Stdout != "private\n" {
		t.Errorf("run: %s", r)
	}
	if r := d.Tug("--config", cfg, "logout", host); !strings.Contains(r.Stdout, "Removing login credentials for "+host) {
		t.Errorf("logout: %s", r)
	}
	if b, _ := os.ReadFile(filepath.Join(cfg, "config.json")); strings.Contains(string(b), host) {
		t.Errorf("config.json after logout: %s", b)
	}
}
