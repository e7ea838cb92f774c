package ops

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// Two images sharing busybox's layer: the layer is counted once in the
// total, and each image reports it as shared.
func TestDiskUsageCountsSharedLayersOnce(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := t.TempDir()
	writeFile(t, dir+"/Dockerfile", "FROM busybox\nRUN echo hello > /a\n")
	must(t, d, "build", "-q", "-t", "child", dir)
	must(t, d, "run", "-d", "--name", "c1", "child", "sleep", "1000")
	du, err := d.Client.DiskUsage(context.Background(), client.DiskUsageOptions{Images: true, Containers: true, BuildCache: true, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	var base, child int64
	var shared, others int64
	for _, img := range du.Images.Items {
		switch {
		case len(img.RepoTags) > 0 && img.RepoTags[0] == "busybox:latest":
			base, shared = img.Size, img.SharedSize
		case len(img.RepoTags) > 0 && img.RepoTags[0] == "child:latest":
			child = img.Size
		default:
			others += img.Size // the built-in hello-world
		}
	}
	if base == 0 || child <= base || shared != base {
		t.Fatalf("sizes: busybox %d (shared %d), child %d", base, shared, child)
	}
	if du.Images.TotalSize != child+others {
		t.Errorf("total image size %d, want %d (busybox's layer once plus child's, plus hello-world)", du.Images.TotalSize, child+others)
	}
	if du.Images.ActiveCount != 1 || du.Images.TotalCount != 3 || du.Containers.ActiveCount != 1 {
		t.Errorf("counts: %+v %+v", du.Images, du.Containers)
	}
	out := must(t, d, "system", "df")
	if !strings.HasPrefix(out, "TYPE") || !strings.Contains(out, "Images") || !strings.Contains(out, "Build Cache") {
		t.Errorf("system df = %q", out)
	}
	if r := d.Docker("system", "df"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Local Volumes") {
		t.Errorf("docker system df: %s", r)
	}
	if out := must(t, d, "system", "df", "--format", "{{.Type}} {{.TotalCount}}"); !strings.Contains(out, "Images 3") {
		t.Errorf("system df --format = %q", out)
	}
	if out := must(t, d, "system", "df", "-v"); !strings.Contains(out, "Images space usage:") || !strings.Contains(out, "child") {
		t.Errorf("system df -v = %q", out)
	}
}
