package distribution

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// run pulls an image it does not have, unless --pull never; --pull
// always checks the registry each time.
func TestRunPullsMissingImage(t *testing.T) {
	d := testutil.StartDaemon(t)
	host, _ := startRegistry(t, nil)
	ref := host + "/auto:v1"
	push(t, ref, makeImage(t, []string{"echo", "auto"}, busyboxLayer(t)))

	if r := d.Tug("run", "--rm", "--pull", "never", ref); r.ExitCode != 125 || !strings.Contains(r.Stderr, "No such image") {
		t.Errorf("run --pull never of a missing image: %s", r)
	}
	r := d.Tug("run", "--rm", ref)
	if r.ExitCode != 0 || r.Stdout != "auto\n" {
		t.Fatalf("run pulling a missing image: %s\n%s", r, d.Log())
	}
	mustContain(t, "run stderr", r.Stderr, "Unable to find image '"+ref+"' locally", "Pull complete")
	r = d.Tug("run", "--rm", "--pull", "always", ref)
	if r.ExitCode != 0 || r.Stdout != "auto\n" || !strings.Contains(r.Stderr, "Image is up to date") {
		t.Errorf("run --pull always: %s", r)
	}
	if r := d.Tug("run", "--rm", host+"/auto:nosuch"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "manifest for "+host+"/auto:nosuch not found: manifest unknown") {
		t.Errorf("run of an unknown tag: %s", r)
	}
}
