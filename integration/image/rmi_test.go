package image

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// Without -f, rmi refuses an image a container uses.
func TestRmiRefusesImageInUse(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("create", "--name", "user", "busybox", "true"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	// Docker refuses to untag the last reference of an image a container uses.
	r := d.Tug("rmi", "busybox")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "must force") {
		t.Errorf("rmi busybox in use: %s", r)
	}
	id := strings.TrimSpace(d.Tug("inspect", "--format", "{{.Image}}", "user").Stdout)
	if r := d.Tug("rmi", id); r.ExitCode != 1 || !strings.Contains(r.Stderr, "is being used by stopped container") {
		t.Errorf("rmi of an image in use: %s", r)
	}
	if r := d.Tug("start", "-a", "user"); r.ExitCode != 0 {
		t.Errorf("container still starts: %s", r)
	}
}

// rmi -f untags an image a running container uses and keeps the image
// until nothing uses it.
func TestRmiForceUntagsImageInUse(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	imageID := strings.TrimSpace(d.Tug("inspect", "--format", "{{.Id}}", "busybox").Stdout)
	id := strings.TrimSpace(d.Tug("run", "-d", "busybox", "sleep", "1000").Stdout)
	// Like Docker, -f untags an image a running container uses and keeps it.
	if r := d.Tug("rmi", "-f", "busybox"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Untagged: busybox:latest") {
		t.Fatalf("rmi -f: %s", r)
	}
	if r := d.Tug("images", "-q", "--filter", "reference=busybox"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("busybox still listed: %q", r.Stdout)
	}
	if r := d.Tug("restart", "-t", "0", id); r.ExitCode != 0 {
		t.Errorf("restart after rmi -f: %s", r)
	}
	if r := d.Tug("rm", "-f", id); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("rmi", imageID); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Deleted: "+imageID) {
		t.Fatalf("rmi of the dangling image: %s", r)
	}
	snaps, _ := filepath.Glob(filepath.Join(d.Root, "overlay", "snapshots", "*"))
	if len(snaps) != 1 { // the built-in hello-world image's layer stays
		t.Errorf("layers after removing the image: %v, want only hello-world's", snaps)
	}
}
