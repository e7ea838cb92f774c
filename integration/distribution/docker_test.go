package distribution

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// TestDockerCLIPullPush pulls and pushes through the stock docker CLI.
func TestDockerCLIPullPush(t *testing.T) {
	d := testutil.StartDaemon(t)
	host, _ := startRegistry(t, nil)
	ref := host + "/dock:v1"
	push(t, ref, makeImage(t, []string{"echo", "via-docker"}, busyboxLayer(t)))
	r := d.Docker("pull", ref)
	if r.ExitCode != 0 {
		t.Fatalf("docker pull: %s\n%s", r, d.Log())
	}
	mustContain(t, "docker pull", r.Stdout, "Pull complete", "Status: Downloaded newer image for "+ref)
	if r := d.Tug("run", "--rm", ref); r.Stdout != "via-docker\n" {
		t.Errorf("run of the image docker pulled: %s", r)
	}
	if r := d.Docker("tag", ref, host+"/copy:v2"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	r = d.Docker("push", host+"/copy:v2")
	if r.ExitCode != 0 {
		t.Fatalf("docker push: %s", r)
	}
	// The in-process registry keeps blobs across repositories, so the
	// layer is there already (a registry with per-repository blobs would
	// answer the cross-repository mount instead).
	mustContain(t, "docker push", r.Stdout, "The push refers to repository ["+host+"/copy]", "Layer already exists", "v2: digest: sha256:")
	if r := d.Docker("pull", host+"/dock:nosuch"); r.ExitCode != 1 || !strings.Contains(r.Stderr, "manifest unknown") {
		t.Errorf("docker pull unknown tag: %s", r)
	}
}
