package network

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// fakeBackend knows one network, "front".
type fakeBackend struct {
	filters   map[string][]string
	created   network.CreateRequest
	removed   string
	connected [2]string
	aliases   []string
	discon    [2]string
}

func (f *fakeBackend) NetworkList(_ context.Context, filters map[string][]string) ([]network.Summary, error) {
	f.filters = filters
	return []network.Summary{{Network: network.Network{Name: "front", ID: "abc", Driver: "bridge"}}}, nil
}

func (f *fakeBackend) NetworkInspect(_ context.Context, ref string) (network.Inspect, error) {
	if ref != "front" {
		return network.Inspect{}, errdefs.NotFound("network %s not found", ref)
	}
	return network.Inspect{Network: network.Network{Name: "front", ID: "abc"}}, nil
}

func (f *fakeBackend) NetworkCreate(_ context.Context, req network.CreateRequest) (network.CreateResponse, error) {
	f.created = req
	return network.CreateResponse{ID: "new"}, nil
}

func (f *fakeBackend) NetworkRemove(_ context.Context, ref string) error {
	f.removed = ref
	return nil
}

func (f *fakeBackend) NetworkConnect(_ context.Context, ref, ctr string, cfg *network.EndpointSettings) error {
	f.connected = [2]string{ref, ctr}
	if cfg != nil {
		f.aliases = cfg.Aliases
	}
	return nil
}

func (f *fakeBackend) NetworkDisconnect(_ context.Context, ref, ctr string, force bool) error {
	f.discon = [2]string{ref, ctr}
	return nil
}

func (f *fakeBackend) NetworkPrune(_ context.Context, _ map[string][]string) (network.PruneReport, error) {
	return network.PruneReport{NetworksDeleted: []string{"old"}}, nil
}

func TestRoutes(t *testing.T) {
	b := &fakeBackend{}
	sock := filepath.Join(t.TempDir(), "tug.sock")
	l, err := server.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	s := server.New(server.Config{Logger: slog.New(slog.DiscardHandler)}, New(b))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	c, err := client.New(client.WithHost("unix://"+sock), client.WithAPIVersion(server.DefaultAPIVersion))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		c.Close()
		cancel()
		<-done
	}()

	list, err := c.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("driver", "bridge")})
	if err != nil || len(list.Items) != 1 || list.Items[0].Name != "front" {
		t.Fatalf("NetworkList() = %+v, %v", list, err)
	}
	if diff := cmp.Diff(map[string][]string{"driver": {"bridge"}}, b.filters); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
	if _, err := c.NetworkInspect(ctx, "front", client.NetworkInspectOptions{}); err != nil {
		t.Errorf("NetworkInspect(front) = %v", err)
	}
	if _, err := c.NetworkInspect(ctx, "nope", client.NetworkInspectOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("NetworkInspect(nope) = %v, want not found", err)
	}
	res, err := c.NetworkCreate(ctx, "back", client.NetworkCreateOptions{Driver: "bridge", Internal: true, Labels: map[string]string{"a": "b"}})
	if err != nil || res.ID != "new" || b.created.Name != "back" || !b.created.Internal || b.created.Labels["a"] != "b" {
		t.Errorf("NetworkCreate() = %+v, %v; backend got %+v", res, err, b.created)
	}
	if _, err := c.NetworkConnect(ctx, "front", client.NetworkConnectOptions{Container: "c1", EndpointConfig: &network.EndpointSettings{Aliases: []string{"x"}}}); err != nil ||
		b.connected != [2]string{"front", "c1"} || len(b.aliases) != 1 {
		t.Errorf("NetworkConnect() = %v; backend got %v %v", err, b.connected, b.aliases)
	}
	if _, err := c.NetworkDisconnect(ctx, "front", client.NetworkDisconnectOptions{Container: "c1"}); err != nil || b.discon != [2]string{"front", "c1"} {
		t.Errorf("NetworkDisconnect() = %v; backend got %v", err, b.discon)
	}
	if _, err := c.NetworkRemove(ctx, "front", client.NetworkRemoveOptions{}); err != nil || b.removed != "front" {
		t.Errorf("NetworkRemove() = %v; backend got %q", err, b.removed)
	}
	pr, err := c.NetworkPrune(ctx, client.NetworkPruneOptions{})
	if err != nil || len(pr.Report.NetworksDeleted) != 1 {
		t.Errorf("NetworkPrune() = %+v, %v", pr, err)
	}
}
