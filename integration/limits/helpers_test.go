package limits

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// cgroupFile reads a file of the container's cgroup from the host: on
// cgroup v1 under /sys/fs/cgroup/<controller>/tug/<id>, on v2 under
// /sys/fs/cgroup/tug/<id>.
func cgroupFile(t *testing.T, controller, id, file string) string {
	t.Helper()
	p := filepath.Join("/sys/fs/cgroup", controller, "tug", id, file)
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", "cgroup.controllers")); err == nil {
		p = filepath.Join("/sys/fs/cgroup", "tug", id, file)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading cgroup file: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func fullID(t *testing.T, d *testutil.Daemon, name string) string {
	t.Helper()
	res, err := d.Client.ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	return res.Container.ID
}

func cgroupV2() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}
