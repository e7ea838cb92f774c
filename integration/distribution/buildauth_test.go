package distribution

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// TestBuildPullsAPrivateBaseImageWithTheClientsCredentials: a build's
// X-Registry-Config (every credential the CLI holds) is what the FROM pull
// of a private base image authenticates with, through the tug CLI and the
// docker CLI; without credentials the pull is denied.
func TestBuildPullsAPrivateBaseImageWithTheClientsCredentials(t *testing.T) {
	d := testutil.StartDaemon(t)
	host, _ := startRegistry(t, tokenAuth("alice", "s3cret"))
	base := host + "/private-base:v1"
	cfg := t.TempDir()
	d.ImportBusybox(base)
	if r := d.TugIn("s3cret\n", "--config", cfg, "login", "-u", "alice", "--password-stdin", host); r.ExitCode != 0 {
		t.Fatalf("login: %s", r)
	}
	if r := d.Tug("--config", cfg, "push", base); r.ExitCode != 0 {
		t.Fatalf("push: %s", r)
	}
	ctxDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM "+base+"\nRUN echo built-on-private > /marker\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	if r := d.Tug("rmi", base); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("--config", t.TempDir(), "build", "-t", "nocreds", ctxDir); r.ExitCode == 0 || !strings.Contains(r.Stderr+r.Stdout, "pull access denied") {
		t.Errorf("build without credentials: %s\nwant the FROM pull denied", r)
	}
	if r := d.Tug("--config", cfg, "build", "-t", "withcreds", ctxDir); r.ExitCode != 0 {
		t.Fatalf("tug build with the credentials: %s", r)
	}
	if r := d.Tug("run", "--rm", "withcreds", "cat", "/marker"); r.Stdout != "built-on-private\n" {
		t.Errorf("run of the built image: %s", r)
	}

	// The docker CLI sends its stored credentials the same way.
	if r := d.Tug("rmi", "withcreds", base); r.ExitCode != 0 {
		t.Fatal(r)
	}
	login := d.DockerCmd("login", "-u", "alice", "--password-stdin", host)
	dockerCfg := ""
	for _, e := range login.Env {
		if v, ok := strings.CutPrefix(e, "DOCKER_CONFIG="); ok {
			dockerCfg = v
		}
	}
	login.Stdin = strings.NewReader("s3cret\n")
	if out, err := login.CombinedOutput(); err != nil {
		t.Fatalf("docker login: %v\n%s", err, out)
	}
	build := d.DockerCmd("build", "-t", "viadocker", ctxDir)
	build.Env = append(build.Env, "DOCKER_CONFIG="+dockerCfg)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build with the credentials: %v\n%s", err, out)
	}
}
