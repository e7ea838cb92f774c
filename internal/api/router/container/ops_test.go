package container

import (
	"context"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/filters"
)

// opsCalls records what the ops routes passed to the backend.
var opsCalls struct {
	commit backend.CommitOptions
	prune  filters.Args
}

func (f *fakeBackend) ContainerPause(ctx context.Context, name string) error   { return nil }
func (f *fakeBackend) ContainerUnpause(ctx context.Context, name string) error { return nil }

func (f *fakeBackend) ContainerCommit(ctx context.Context, opts backend.CommitOptions) (string, error) {
	opsCalls.commit = opts
	return "sha256:abc", nil
}

func (f *fakeBackend) ContainerExport(ctx context.Context, name string, out io.Writer) error {
	_, err := io.WriteString(out, "tar of "+name)
	return err
}

func (f *fakeBackend) ContainerPrune(ctx context.Context, fl filters.Args) (container.PruneReport, error) {
	opsCalls.prune = fl
	return container.PruneReport{ContainersDeleted: []string{"c1"}, SpaceReclaimed: 42}, nil
}

func TestOpsRoutes(t *testing.T) {
	c, _ := start(t, &fakeBackend{})
	ctx := context.Background()
	res, err := c.ContainerCommit(ctx, "ctr", client.ContainerCommitOptions{Reference: "repo:v1", Author: "me", Comment: "msg", Changes: []string{"CMD x"}, NoPause: true})
	if err != nil || res.ID != "sha256:abc" {
		t.Fatalf("ContainerCommit() = %+v, %v", res, err)
	}
	want := backend.CommitOptions{Container: "ctr", Repo: "docker.io/library/repo", Tag: "v1", Author: "me", Comment: "msg", Changes: []string{"CMD x"}, Pause: false}
	got := opsCalls.commit
	got.Config = nil
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("commit options (-want +got):\n%s", d)
	}
	pr, err := c.ContainerPrune(ctx, client.ContainerPruneOptions{Filters: make(client.Filters).Add("until", "1h")})
	if err != nil || len(pr.Report.ContainersDeleted) != 1 || pr.Report.SpaceReclaimed != 42 {
		t.Fatalf("ContainerPrune() = %+v, %v", pr, err)
	}
	if d := cmp.Diff(filters.Args{"until": {"1h"}}, opsCalls.prune); d != "" {
		t.Errorf("prune filters (-want +got):\n%s", d)
	}
	rc, err := c.ContainerExport(ctx, "ctr", client.ContainerExportOptions{})
	if err != nil {
		t.Fatalf("ContainerExport() = %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "tar of ctr" {
		t.Errorf("export body = %q", b)
	}
	if _, err := c.ContainerPause(ctx, "ctr", client.ContainerPauseOptions{}); err != nil {
		t.Errorf("ContainerPause() = %v", err)
	}
	if _, err := c.ContainerUnpause(ctx, "ctr", client.ContainerUnpauseOptions{}); err != nil {
		t.Errorf("ContainerUnpause() = %v", err)
	}
}

func (systemFake) SystemDiskUsage(ctx context.Context, opts backend.DiskUsageOptions) (*backend.DiskUsage, error) {
	return &backend.DiskUsage{}, nil
}
