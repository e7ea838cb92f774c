package distribution

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tug-project/tug/internal/testutil"
)

// These tests run Debian's docker-registry (Distribution v2), which .ci/run
// installs: unlike the in-process registry it keeps blobs per repository
// (so cross-repository mounts are real) and implements token auth.

// tokenServer is a Distribution token server: it hands out RS256 JWTs
// carrying the signing certificate (x5c) for user:pass, granting what was
// asked; anonymous callers get a token granting nothing. It serves /token
// and passes everything else to the registry set with setRegistry, so the
// realm is on the registry's host:port: go-containerregistry refuses a
// realm on another loopback or private IP address (its #2258).
type tokenServer struct {
	Host     string // the registry's address for clients
	Realm    string
	CertPath string
	key      *rsa.PrivateKey
	certDER  []byte
	registry atomic.Pointer[httputil.ReverseProxy]
}

// setRegistry makes ts the front of the registry at host.
func (ts *tokenServer) setRegistry(host string) {
	ts.registry.Store(httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: host}))
}

const (
	tokenService = "e2e-registry"
	tokenIssuer  = "e2e-token-issuer"
)

func startTokenServer(t *testing.T, user, pass string) *tokenServer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "e2e token signer"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ts := &tokenServer{key: key, certDER: der, CertPath: filepath.Join(t.TempDir(), "token.crt")}
	if err := os.WriteFile(ts.CertPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/token" {
			if p := ts.registry.Load(); p != nil {
				p.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r)
			return
		}
		var access []map[string]any
		if u, p, ok := r.BasicAuth(); ok {
			if u != user || p != pass {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"details":"incorrect username or password"}`)
				return
			}
			for _, s := range r.URL.Query()["scope"] {
				// repository:NAME:ACTIONS (NAME has no colon here).
				parts := strings.Split(s, ":")
				if len(parts) != 3 {
					continue
				}
				access = append(access, map[string]any{"type": parts[0], "name": parts[1], "actions": strings.Split(parts[2], ",")})
			}
		}
		tok, err := ts.sign(user, access)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 600})
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	ts.Host = l.Addr().String()
	ts.Realm = srv.URL + "/token"
	return ts
}

func (ts *tokenServer) sign(sub string, access []map[string]any) (string, error) {
	enc := base64.RawURLEncoding
	header, err := json.Marshal(map[string]any{"typ": "JWT", "alg": "RS256", "x5c": []string{base64.StdEncoding.EncodeToString(ts.certDER)}})
	if err != nil {
		return "", err
	}
	now := time.Now()
	if access == nil {
		access = []map[string]any{}
	}
	claims, err := json.Marshal(map[string]any{
		"iss": tokenIssuer, "sub": sub, "aud": tokenService,
		"exp": now.Add(10 * time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
		"jti": fmt.Sprint(now.UnixNano()), "access": access,
	})
	if err != nil {
		return "", err
	}
	payload := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(payload))
	sig, err := rsa.SignPKCS1v15(rand.Reader, ts.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return payload + "." + enc.EncodeToString(sig), nil
}

func (ts *tokenServer) authYAML() string {
	return fmt.Sprintf(`auth:
  token:
    realm: %s
    service: %s
    issuer: %s
    rootcertbundle: %s
`, ts.Realm, tokenService, tokenIssuer, ts.CertPath)
}

// uploadRecorder is a reverse proxy in front of a registry recording the
// blobs uploaded (the digest of each upload's closing PUT) and the
// successful cross-repository mounts, per repository.
type uploadRecorder struct {
	Host string
	mu   sync.Mutex
	up   map[string][]string // repo -> digests uploaded
	mnt  map[string][]string // repo -> "digest from repo" mounted
}

var uploadPath = regexp.MustCompile(`^/v2/(.+)/blobs/uploads/`)

func startUploadRecorder(t *testing.T, target string) *uploadRecorder {
	t.Helper()
	rec := &uploadRecorder{up: map[string][]string{}, mnt: map[string][]string{}}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := uploadPath.FindStringSubmatch(r.URL.Path)
		if m == nil {
			proxy.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		proxy.ServeHTTP(sw, r)
		q := r.URL.Query()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		switch {
		case r.Method == http.MethodPut && sw.code == http.StatusCreated:
			rec.up[m[1]] = append(rec.up[m[1]], q.Get("digest"))
		case r.Method == http.MethodPost && q.Get("mount") != "" && sw.code == http.StatusCreated:
			rec.mnt[m[1]] = append(rec.mnt[m[1]], q.Get("mount")+" from "+q.Get("from"))
		}
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	// The registry builds upload URLs from the Host header, which the
	// proxy passes on: clients keep talking to the proxy.
	rec.Host = l.Addr().String()
	return rec
}

func (u *uploadRecorder) uploads(repo string) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.up[repo]...)
}

func (u *uploadRecorder) mounts(repo string) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.mnt[repo]...)
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// layerDigests are the layer blobs of the manifest ref names.
func layerDigests(t *testing.T, ref string) []string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatalf("remote.Image(%s) = %v", ref, err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.String())
	}
	return out
}

var pushDigest = regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`)

// TestE2EDistributionPushPullRun: tug push to docker-registry, rmi, pull
// back and run; then a manifest list written by go-containerregistry,
// from which tug picks linux/amd64.
func TestE2EDistributionPushPullRun(t *testing.T) {
	reg := testutil.StartRegistry(t, "")
	d := testutil.StartDaemon(t)
	ref := reg.Host + "/e2e/busybox:1"
	d.ImportBusybox(ref)

	r := d.Tug("push", ref)
	if r.ExitCode != 0 {
		t.Fatalf("push: %s\n%s", r, d.Log())
	}
	mustContain(t, "push", r.Stdout, "The push refers to repository ["+reg.Host+"/e2e/busybox]", "Pushed", "1: digest: sha256:")
	dgst := pushDigest.FindStringSubmatch(r.Stdout)[1]
	if r := d.Tug("push", ref); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Layer already exists") {
		t.Errorf("second push: %s", r)
	}
	if r := d.Tug("rmi", ref); r.ExitCode != 0 {
		t.Fatalf("rmi: %s", r)
	}
	r = d.Tug("pull", ref)
	if r.ExitCode != 0 {
		t.Fatalf("pull: %s\n%s", r, d.Log())
	}
	mustContain(t, "pull", r.Stdout, "1: Pulling from e2e/busybox", "Pull complete", "Digest: "+dgst, "Status: Downloaded newer image for "+ref)
	if r := d.Tug("run", "--rm", ref, "echo", "from-distribution"); r.ExitCode != 0 || r.Stdout != "from-distribution\n" {
		t.Errorf("run pulled image: %s", r)
	}
	if r := d.Tug("pull", reg.Host+"/e2e/busybox:nosuch"); r.ExitCode != 1 || !strings.Contains(r.Stderr, "manifest unknown") {
		t.Errorf("pull of an unknown tag: %s", r)
	}

	// A manifest list: arm64 first, then amd64.
	arm, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	armCf, err := arm.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	armCf = armCf.DeepCopy()
	armCf.OS, armCf.Architecture, armCf.Variant = "linux", "arm64", "v8"
	if arm, err = mutate.ConfigFile(arm, armCf); err != nil {
		t.Fatal(err)
	}
	amd := makeImage(t, []string{"echo", "amd64-from-index"}, busyboxLayer(t))
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	multi := reg.Host + "/e2e/multi:1"
	idxDigest := pushIndex(t, multi, idx)
	r = d.Tug("pull", multi)
	if r.ExitCode != 0 {
		t.Fatalf("pull of a manifest list: %s\n%s", r, d.Log())
	}
	mustContain(t, "pull manifest list", r.Stdout, "Digest: "+idxDigest.String(), "Status: Downloaded newer image for "+multi)
	if r := d.Tug("image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", multi); strings.TrimSpace(r.Stdout) != "linux/amd64" {
		t.Errorf("platform of the pulled image: %s", r)
	}
	if r := d.Tug("run", "--rm", multi); r.Stdout != "amd64-from-index\n" {
		t.Errorf("run of the manifest-list image: %s", r)
	}
}

// TestE2EDistributionCrossRepoMount: pushing an image built on one already
// pushed to x/a into x/b mounts the shared layers from x/a instead of
// uploading them (docker-registry keeps blobs per repository).
func TestE2EDistributionCrossRepoMount(t *testing.T) {
	reg := testutil.StartRegistry(t, "")
	rec := startUploadRecorder(t, reg.Host)
	d := testutil.StartDaemon(t)
	host := rec.Host
	a := host + "/x/a:1"
	d.ImportBusybox(a)
	if r := d.Tug("push", a); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Pushed") {
		t.Fatalf("push x/a: %s\n%s", r, d.Log())
	}
	base := layerDigests(t, a)
	if got := rec.uploads("x/a"); len(got) != len(base)+1 { // layers and config
		t.Errorf("uploads to x/a = %v, want %d blobs", got, len(base)+1)
	}

	// An image built on x/a:1 with one more layer.
	ctxDir := t.TempDir()
	files := map[string]string{"Dockerfile": "FROM " + a + "\nCOPY extra.txt /extra.txt\nCMD [\"cat\", \"/extra.txt\"]\n", "extra.txt": "mounted-base\n"}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(ctxDir, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := host + "/x/b:1"
	if r := d.Tug("build", "-q", "-t", b, ctxDir); r.ExitCode != 0 {
		t.Fatalf("build: %s\n%s", r, d.Log())
	}
	r := d.Tug("push", b)
	if r.ExitCode != 0 {
		t.Fatalf("push x/b: %s\n%s", r, d.Log())
	}
	mustContain(t, "push x/b", r.Stdout, "Mounted from x/a", "Pushed", "1: digest: sha256:")
	all := layerDigests(t, b)
	if len(all) != len(base)+1 {
		t.Fatalf("x/b has layers %v, want x/a's %v and one more", all, base)
	}
	up, mnt := rec.uploads("x/b"), rec.mounts("x/b")
	for _, l := range base {
		if containsStr(up, l) {
			t.Errorf("shared layer %s was uploaded to x/b (uploads %v)", l, up)
		}
		if !containsStr(mnt, l+" from x/a") {
			t.Errorf("shared layer %s was not mounted from x/a (mounts %v)", l, mnt)
		}
	}
	if top := all[len(all)-1]; !containsStr(up, top) {
		t.Errorf("new layer %s not uploaded to x/b (uploads %v)", top, up)
	}

	// The same image under a third name: every layer mounted, none uploaded
	// (the config blob is small and uploaded, as Docker does).
	c := host + "/x/c:1"
	if r := d.Tug("tag", b, c); r.ExitCode != 0 {
		t.Fatal(r)
	}
	r = d.Tug("push", c)
	if r.ExitCode != 0 || strings.Contains(r.Stdout, "Pushed") || !strings.Contains(r.Stdout, "Mounted from x/") {
		t.Errorf("push x/c: %s", r)
	}
	for _, l := range all {
		if containsStr(rec.uploads("x/c"), l) {
			t.Errorf("layer %s uploaded to x/c", l)
		}
	}

	// What was mounted is whole: pulled back from x/b it runs.
	if r := d.Tug("rmi", b, c); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("pull", b); r.ExitCode != 0 {
		t.Fatalf("pull x/b: %s", r)
	}
	if r := d.Tug("run", "--rm", b); r.Stdout != "mounted-base\n" {
		t.Errorf("run x/b: %s", r)
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestE2EDistributionTokenAuth: docker-registry with Distribution's token
// auth (a token server of the test signs JWTs): login, push, pull, a
// cross-repository mount (it needs pull access to the source repository),
// and the failures without credentials.
func TestE2EDistributionTokenAuth(t *testing.T) {
	ts := startTokenServer(t, "alice", "s3cret")
	reg := testutil.StartRegistry(t, ts.authYAML())
	ts.setRegistry(reg.Host)
	d := testutil.StartDaemon(t)
	cfg := t.TempDir()
	host := ts.Host
	ref := host + "/e2e/private:1"
	d.ImportBusybox(ref)

	if r := d.Tug("--config", cfg, "push", ref); r.ExitCode != 1 || !strings.Contains(r.Stderr, "denied") && !strings.Contains(r.Stderr, "unauthorized") {
		t.Errorf("push without login: %s", r)
	}
	if r := d.Tug("--config", cfg, "login", "-u", "alice", "-p", "wrong", host); r.ExitCode != 1 || !strings.Contains(r.Stderr, "unauthorized") {
		t.Errorf("login with a wrong password: %s", r)
	}
	r := d.TugIn("s3cret\n", "--config", cfg, "login", "-u", "alice", "--password-stdin", host)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "Login Succeeded") {
		t.Fatalf("login: %s\n%s", r, d.Log())
	}
	r = d.Tug("--config", cfg, "push", ref)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "Pushed") {
		t.Fatalf("push after login: %s\n%s", r, d.Log())
	}
	other := host + "/e2e/other:1"
	if r := d.Tug("tag", ref, other); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("--config", cfg, "push", other); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Mounted from e2e/private") {
		t.Errorf("push to a second repository: %s", r)
	}
	if r := d.Tug("rmi", ref, other); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("--config", t.TempDir(), "pull", ref); r.ExitCode != 1 || !strings.Contains(r.Stderr, "pull access denied for "+host+"/e2e/private") {
		t.Errorf("pull without credentials: %s", r)
	}
	if r := d.Tug("--config", cfg, "pull", other); r.ExitCode != 0 {
		t.Fatalf("pull with credentials: %s\n%s", r, d.Log())
	}
	if r := d.Tug("run", "--rm", other, "echo", "behind-token-auth"); r.Stdout != "behind-token-auth\n" {
		t.Errorf("run: %s", r)
	}
	if r := d.Tug("--config", cfg, "logout", host); !strings.Contains(r.Stdout, "Removing login credentials for "+host) {
		t.Errorf("logout: %s", r)
	}
	if r := d.Tug("--config", cfg, "pull", ref); r.ExitCode != 1 {
		t.Errorf("pull after logout: %s", r)
	}
}

// TestE2EDistributionDockerCLI: the stock docker CLI pulls from and pushes
// to docker-registry through tugd, manifest list included.
func TestE2EDistributionDockerCLI(t *testing.T) {
	reg := testutil.StartRegistry(t, "")
	d := testutil.StartDaemon(t)
	ref := reg.Host + "/e2e/dock:1"
	push(t, ref, makeImage(t, []string{"echo", "via-docker"}, busyboxLayer(t)))
	r := d.Docker("pull", ref)
	if r.ExitCode != 0 {
		t.Fatalf("docker pull: %s\n%s", r, d.Log())
	}
	mustContain(t, "docker pull", r.Stdout, "Pull complete", "Status: Downloaded newer image for "+ref)
	if r := d.Docker("run", "--rm", ref); r.Stdout != "via-docker\n" {
		t.Errorf("docker run of the pulled image: %s", r)
	}
	copyRef := reg.Host + "/e2e/copy:2"
	if r := d.Docker("tag", ref, copyRef); r.ExitCode != 0 {
		t.Fatal(r)
	}
	r = d.Docker("push", copyRef)
	if r.ExitCode != 0 {
		t.Fatalf("docker push: %s\n%s", r, d.Log())
	}
	// docker-registry keeps blobs per repository: the layer is mounted.
	mustContain(t, "docker push", r.Stdout, "The push refers to repository ["+reg.Host+"/e2e/copy]", "Mounted from e2e/dock", "2: digest: sha256:")
	if r := d.Docker("rmi", ref, copyRef); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Docker("pull", copyRef); r.ExitCode != 0 {
		t.Fatalf("docker pull of the pushed copy: %s", r)
	}
	if r := d.Docker("pull", reg.Host+"/e2e/dock:nosuch"); r.ExitCode != 1 || !strings.Contains(r.Stderr, "manifest unknown") {
		t.Errorf("docker pull of an unknown tag: %s", r)
	}

	arm, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: makeImage(t, []string{"echo", "docker-index"}, busyboxLayer(t)), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	multi := reg.Host + "/e2e/multi:1"
	idxDigest := pushIndex(t, multi, idx)
	r = d.Docker("pull", multi)
	if r.ExitCode != 0 {
		t.Fatalf("docker pull of a manifest list: %s\n%s", r, d.Log())
	}
	mustContain(t, "docker pull manifest list", r.Stdout, "Digest: "+idxDigest.String())
	if r := d.Docker("run", "--rm", multi); r.Stdout != "docker-index\n" {
		t.Errorf("docker run of the manifest-list image: %s", r)
	}
}
