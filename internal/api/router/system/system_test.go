package system

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/filters"
)

// fakeBackend is a hand-written Backend with two stored events and a live
// channel the test feeds.
type fakeBackend struct {
	mu           sync.Mutex
	since, until time.Time
	filters      filters.Args
	live         chan events.Message
	cancelled    chan struct{}
}

func (f *fakeBackend) SystemInfo(context.Context) (*system.Info, error) {
	return &system.Info{ID: "tug-test", Name: "testhost", Containers: 3, OSType: "linux", ServerVersion: "0.1.0"}, nil
}

func (f *fakeBackend) SystemVersion(context.Context) system.VersionResponse {
	return system.VersionResponse{
		Platform: system.PlatformInfo{Name: "tug"}, Version: "0.1.0", Os: "linux", Arch: "amd64", GoVersion: "go1.26",
		Components: []system.ComponentVersion{{Name: "Engine", Version: "0.1.0", Details: map[string]string{"ApiVersion": server.DefaultAPIVersion, "MinAPIVersion": server.MinAPIVersion, "Os": "linux", "Arch": "amd64"}}},
	}
}

func (f *fakeBackend) SubscribeEvents(_ context.Context, since, until time.Time, fs filters.Args) ([]events.Message, <-chan events.Message, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.since, f.until, f.filters = since, until, fs
	past := []events.Message{
		{Type: events.ContainerEventType, Action: events.ActionCreate, Actor: events.Actor{ID: "c0ffee"}, Time: 1700000000, TimeNano: 1700000000e9},
		{Type: events.ContainerEventType, Action: events.ActionStart, Actor: events.Actor{ID: "c0ffee"}, Time: 1700000001, TimeNano: 1700000001e9},
	}
	if !until.IsZero() {
		return past, nil, func() {}
	}
	return past, f.live, func() { close(f.cancelled) }
}

func start(t *testing.T, b Backend) (string, func(...client.Opt) *client.Client) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "tug.sock")
	l, err := server.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	s := server.New(server.Config{Logger: slog.New(slog.DiscardHandler), Version: "0.1.0"}, New(b))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v", err)
		}
	})
	newClient := func(opts ...client.Opt) *client.Client {
		c, err := client.New(append([]client.Opt{client.WithHost("unix://" + sock)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	return sock, newClient
}

func rawClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
}

func TestPingAndNegotiation(t *testing.T) {
	sock, newClient := start(t, &fakeBackend{})
	ctx := context.Background()

	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequest(method, "http://tug/_ping", nil)
		resp, err := rawClient(sock).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, _ := resp.Body.Read(buf)
		resp.Body.Close()
		want := map[string]string{
			"Api-Version": "1.51", "Ostype": "linux", "Docker-Experimental": "false",
			"Builder-Version": "1", "Pragma": "no-cache",
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s /_ping header %s = %q, want %q", method, k, got, v)
			}
		}
		if !strings.Contains(resp.Header.Get("Cache-Control"), "no-cache") {
			t.Errorf("%s /_ping Cache-Control = %q, want no-cache", method, resp.Header.Get("Cache-Control"))
		}
		wantBody := "OK"
		if method == http.MethodHead {
			wantBody = ""
		}
		if resp.StatusCode != 200 || string(buf[:n]) != wantBody {
			t.Errorf("%s /_ping = %d %q, want 200 %q", method, resp.StatusCode, buf[:n], wantBody)
		}
	}

	c := newClient(client.WithAPIVersionNegotiation())
	p, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		t.Fatalf("Ping() = %v", err)
	}
	if p.APIVersion != server.DefaultAPIVersion || p.OSType != "linux" || p.Experimental {
		t.Errorf("Ping() = %+v", p)
	}
	if got := c.ClientVersion(); got != server.DefaultAPIVersion {
		t.Errorf("negotiated version = %q, want %q", got, server.DefaultAPIVersion)
	}

	v, err := c.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		t.Fatalf("ServerVersion() = %v", err)
	}
	if v.APIVersion != server.DefaultAPIVersion || v.MinAPIVersion != server.MinAPIVersion || v.Version != "0.1.0" {
		t.Errorf("ServerVersion() = %+v", v)
	}

	// An old client pinned to 1.41 is served; one pinned too new is refused.
	old := newClient(client.WithAPIVersion("1.41"))
	if _, err := old.Info(ctx, client.InfoOptions{}); err != nil {
		t.Errorf("Info() at 1.41 = %v, want nil", err)
	}
	resp, err := rawClient(sock).Get("http://tug/v1.12/version")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET /v1.12/version = %d, want 400", resp.StatusCode)
	}
}

func TestEvents(t *testing.T) {
	b := &fakeBackend{live: make(chan events.Message), cancelled: make(chan struct{})}
	_, newClient := start(t, b)
	c := newClient(client.WithAPIVersion(server.DefaultAPIVersion))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	res := c.Events(ctx, client.EventsListOptions{
		Since:   "1699999999.000000001",
		Filters: make(client.Filters).Add("type", "container").Add("event", "start", "create"),
	})
	var got []events.Action
	next := func() {
		select {
		case m := <-res.Messages:
			got = append(got, m.Action)
		case err := <-res.Err:
			t.Fatalf("Events() error = %v", err)
		case <-time.After(5 * time.Second):
			t.Fatalf("Events() timed out")
		}
	}
	next()
	next()
	b.live <- events.Message{Type: events.ContainerEventType, Action: events.ActionDie, Actor: events.Actor{ID: "c0ffee"}}
	next()
	if d := cmp.Diff([]events.Action{events.ActionCreate, events.ActionStart, events.ActionDie}, got); d != "" {
		t.Errorf("events mismatch (-want +got):\n%s", d)
	}
	b.mu.Lock()
	if !b.since.Equal(time.Unix(1699999999, 1)) || !b.until.IsZero() {
		t.Errorf("backend since %v until %v", b.since, b.until)
	}
	if d := cmp.Diff(filters.Args{"type": {"container"}, "event": {"create", "start"}}, b.filters); d != "" {
		t.Errorf("backend filters mismatch (-want +got):\n%s", d)
	}
	b.mu.Unlock()

	cancel()
	select {
	case <-b.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatalf("subscription not cancelled after the client went away")
	}

	// A past `until` returns the stored events and ends.
	res = c.Events(context.Background(), client.EventsListOptions{Since: "0", Until: "1700000005"})
	n := 0
loop:
	for {
		select {
		case <-res.Messages:
			n++
		case err := <-res.Err:
			if !errors.Is(err, io.EOF) {
				t.Errorf("Events(until) error = %v, want io.EOF", err)
			}
			break loop
		case <-time.After(5 * time.Second):
			t.Fatalf("Events(until) did not end")
		}
	}
	if n != 2 {
		t.Errorf("Events(until) = %d messages, want 2", n)
	}
}

// TestDockerCLI drives the server with the stock docker CLI(s) installed on
// the machine, when there are any.
func TestDockerCLI(t *testing.T) {
	sock, _ := start(t, &fakeBackend{})
	for _, bin := range []string{"/usr/local/bin/docker", "/usr/bin/docker"} {
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		t.Run(bin, func(t *testing.T) {
			cmd := exec.Command(bin, "version", "--format", "{{.Server.APIVersion}} {{.Server.Version}} {{.Server.Os}}")
			cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+t.TempDir(), "DOCKER_CONTEXT=")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s version: %v\n%s", bin, err, out)
			}
			if got := strings.TrimSpace(string(out)); got != "1.51 0.1.0 linux" {
				t.Errorf("%s version = %q, want %q", bin, got, "1.51 0.1.0 linux")
			}
			cmd = exec.Command(bin, "info", "--format", "{{.Name}} {{.Containers}}")
			cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+t.TempDir(), "DOCKER_CONTEXT=")
			out, err = cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s info: %v\n%s", bin, err, out)
			}
			if got := strings.TrimSpace(string(out)); got != "testhost 3" {
				t.Errorf("%s info = %q, want %q", bin, got, "testhost 3")
			}
		})
	}
}
