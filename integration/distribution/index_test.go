package distribution

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/tug-project/tug/internal/testutil"
)

// From a manifest list, pull takes the image for the host's platform
// (linux/amd64), or the one --platform names, and fails when there is none.
func TestPullManifestListChoosesPlatform(t *testing.T) {
	d := testutil.StartDaemon(t)
	host, _ := startRegistry(t, nil)
	base := busyboxLayer(t)
	// A manifest list with an arm64 and an amd64 image.
	arm, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	amd := makeImage(t, []string{"echo", "from-index"}, base)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	idxDigest := pushIndex(t, host+"/multi:v1", idx)
	r := d.Tug("pull", host+"/multi:v1")
	if r.ExitCode != 0 {
		t.Fatalf("pull index: %s", r)
	}
	mustContain(t, "pull index", r.Stdout, "Digest: "+idxDigest.String())
	if r := d.Tug("run", "--rm", host+"/multi:v1"); r.Stdout != "from-index\n" {
		t.Errorf("run index image: %s", r)
	}
	r = d.Tug("pull", "--platform", "linux/s390x", host+"/multi:v1")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "no matching manifest for linux/s390x") {
		t.Errorf("pull for a missing platform: %s", r)
	}
}
