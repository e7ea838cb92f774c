package distribution

import (
	"regexp"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// TestPushPullRun pushes an imported busybox image with tug, removes it,
// pulls it back (by tag and by digest) and runs it.
func TestPushPullRun(t *testing.T) {
	d := testutil.StartDaemon(t)
	host, _ := startRegistry(t, nil)
	ref := host + "/bb:v1"
	d.ImportBusybox(ref)

	r := d.Tug("push", ref)
	if r.ExitCode != 0 {
		t.Fatalf("push: %s", r)
	}
	mustContain(t, "push", r.Stdout, "The push refers to repository ["+host+"/bb]", "Pushed", "v1: digest: sha256:")
	dgst := regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`).FindStringSubmatch(r.Stdout)[1]
	if r := d.Tug("push", ref); !strings.Contains(r.Stdout, "Layer already exists") {
		t.Errorf("second push: %s", r)
	}

	if r := d.Tug("rmi", ref); r.ExitCode != 0 {
		t.Fatalf("rmi: %s", r)
	}
	r = d.Tug("pull", ref)
	if r.ExitCode != 0 {
		t.Fatalf("pull: %s\n%s", r, d.Log())
	}
	mustContain(t, "pull", r.Stdout, "v1: Pulling from bb", "Pull complete", "Digest: "+dgst, "Status: Downloaded newer image for "+ref)
	if r := d.Tug("run", "--rm", ref, "echo", "pulled"); r.Stdout != "pulled\n" {
		t.Errorf("run pulled image: %s", r)
	}
	r = d.Tug("pull", ref)
	mustContain(t, "second pull", r.Stdout, "Already exists", "Status: Image is up to date for "+ref)
	r = d.Tug("images", "--digests", host+"/bb")
	mustContain(t, "images --digests", r.Stdout, "DIGEST", dgst)

	if r := d.Tug("rmi", ref); r.ExitCode != 0 {
		t.Fatalf("rmi: %s", r)
	}
	r = d.Tug("pull", host+"/bb@"+dgst)
	if r.ExitCode != 0 {
		t.Fatalf("pull by digest: %s", r)
	}
	if r := d.Tug("image", "inspect", "--format", "{{.RepoDigests}}", host+"/bb@"+dgst); !strings.Contains(r.Stdout, host+"/bb@"+dgst) {
		t.Errorf("inspect by digest: %s", r)
	}
}
