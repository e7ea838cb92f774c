package distribution

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// TestRegistryMirrorFromDaemonJSON: a Docker Hub short name is pulled from
// the mirror daemon.json names (the origin is never reached: the harness
// sends anything else to a closed loopback proxy).
func TestRegistryMirrorFromDaemonJSON(t *testing.T) {
	d := testutil.StartDaemon(t)
	mirror, _ := startRegistry(t, nil)
	push(t, mirror+"/library/mirrored:latest", makeImage(t, []string{"echo", "via the mirror"}, busyboxLayer(t)))
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`{"registry-mirrors": ["http://%s"]}`, mirror)), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Kill()
	d.Args = []string{"--config-file", cfg}
	d.Start()
	r := d.Tug("pull", "mirrored")
	mustContain(t, "pull through the mirror", r.String(), "Status: Downloaded newer image for mirrored:latest")
	if r := d.Tug("run", "--rm", "mirrored"); r.Stdout != "via the mirror\n" {
		t.Errorf("run of the mirrored image: %s", r)
	}
	if r := d.Tug("pull", "notonmirror"); r.ExitCode != 1 {
		t.Errorf("pull of a name the mirror lacks (origin unreachable here) = %s, want exit 1", r)
	}
}
