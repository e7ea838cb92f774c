package container

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/filters"
)

// fakeBackend is a hand-written Backend: "missing" is not found, "running"
// is already started, "tty" has a TTY; everything else exists.
type fakeBackend struct {
	mu          sync.Mutex
	created     *container.CreateRequest
	name        string
	listOpts    backend.ContainerListOptions
	stdin       []byte
	stopSig     string
	stopT       *int
	removed     string
	removedLink string
	renamed     [2]string
	resized     [2]uint
	logsOpts    backend.ContainerLogsOptions
	waitCond    container.WaitCondition
	attachOpt   backend.ContainerAttachOptions
	hungUp      chan struct{}
}

func notFound(name string) error { return errdefs.NotFound("No such container: %s", name) }

func (f *fakeBackend) ContainerCreate(_ context.Context, name string, req *container.CreateRequest) (container.CreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created, f.name = req, name
	return container.CreateResponse{ID: "c0ffee"}, nil
}

func (f *fakeBackend) ContainerStart(_ context.Context, name string) error {
	switch name {
	case "missing":
		return notFound(name)
	case "running":
		return errdefs.NotModified("container already started")
	}
	return nil
}

func (f *fakeBackend) ContainerStop(_ context.Context, name, sig string, t *int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopSig, f.stopT = sig, t
	return nil
}

func (f *fakeBackend) ContainerRestart(ctx context.Context, name, sig string, t *int) error {
	return f.ContainerStop(ctx, name, sig, t)
}

func (f *fakeBackend) ContainerKill(_ context.Context, name, _ string) error {
	if name == "missing" {
		return notFound(name)
	}
	return nil
}

func (f *fakeBackend) ContainerWait(_ context.Context, name string, cond container.WaitCondition) (<-chan container.WaitResponse, error) {
	if name == "missing" {
		return nil, notFound(name)
	}
	f.mu.Lock()
	f.waitCond = cond
	f.mu.Unlock()
	ch := make(chan container.WaitResponse, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		ch <- container.WaitResponse{StatusCode: 42}
	}()
	return ch, nil
}

func (f *fakeBackend) ContainerRemove(_ context.Context, name string, force, v bool) error {
	if name == "missing" {
		return notFound(name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = name
	return nil
}

func (f *fakeBackend) ContainerRemoveLink(_ context.Context, link string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removedLink = link
	return nil
}

func (f *fakeBackend) ContainerRename(_ context.Context, name, newName string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renamed = [2]string{name, newName}
	return nil
}

func (f *fakeBackend) ContainerAttach(ctx context.Context, name string, opts backend.ContainerAttachOptions) error {
	if name == "missing" {
		return notFound(name)
	}
	f.mu.Lock()
	f.attachOpt = opts
	f.mu.Unlock()
	stdin, stdout, stderr, err := opts.GetStreams(name != "tty")
	if err != nil {
		return err
	}
	defer stdin.Close()
	if name == "block" {
		// Output only; returns when the client hangs up.
		select {
		case <-ctx.Done():
			close(f.hungUp)
			return nil
		case <-time.After(10 * time.Second):
			return errdefs.Unavailable("client hang-up not noticed")
		}
	}
	io.WriteString(stdout, "hello from stdout\n")
	io.WriteString(stderr, "hello from stderr\n")
	if opts.Stdin {
		data, _ := io.ReadAll(stdin)
		f.mu.Lock()
		f.stdin = data
		f.mu.Unlock()
		io.WriteString(stdout, "got: "+string(data))
	}
	return nil
}

func (f *fakeBackend) ContainerResize(_ context.Context, name string, h, w uint) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resized = [2]uint{h, w}
	return nil
}

func (f *fakeBackend) ContainerLogs(ctx context.Context, name string, opts backend.ContainerLogsOptions, out func(tty bool) (io.Writer, io.Writer)) error {
	if name == "missing" {
		return notFound(name)
	}
	f.mu.Lock()
	f.logsOpts = opts
	f.mu.Unlock()
	stdout, stderr := out(name == "tty")
	io.WriteString(stdout, "line 1\n")
	io.WriteString(stderr, "oops\n")
	io.WriteString(stdout, "line 2\n")
	return nil
}

func (f *fakeBackend) ContainerInspect(_ context.Context, name string) (*container.InspectResponse, error) {
	if name == "missing" {
		return nil, notFound(name)
	}
	return &container.InspectResponse{ID: "c0ffee", Name: "/" + name, Config: &container.Config{Tty: name == "tty"}, State: &container.State{Status: "running", Running: true}}, nil
}

func (f *fakeBackend) ContainerList(_ context.Context, opts backend.ContainerListOptions) ([]container.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listOpts = opts
	return []container.Summary{{ID: "c0ffee", Names: []string{"/web"}, State: "running"}}, nil
}

// start serves a router over b on a unix socket in a temp dir and returns
// a moby client for it and the socket path.
func start(t *testing.T, b Backend) (*client.Client, string) {
	t.Helper()
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
	t.Cleanup(func() {
		c.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v", err)
		}
	})
	return c, sock
}

func rawClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
}

func TestCreate(t *testing.T) {
	b := &fakeBackend{}
	c, sock := start(t, b)
	ctx := context.Background()

	res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   "web",
		Config: &container.Config{Image: "busybox", Cmd: []string{"true"}},
	})
	if err != nil {
		t.Fatalf("ContainerCreate() = %v, want nil", err)
	}
	if res.ID != "c0ffee" || b.name != "web" || b.created.Image != "busybox" || b.created.HostConfig == nil {
		t.Errorf("ContainerCreate() = %+v, backend got name %q req %+v", res, b.name, b.created)
	}

	tests := []struct {
		body, want string
	}{
		{`{"Image": "busybox",`, "invalid JSON: unexpected EOF"},
		{`{"Image": 42}`, "invalid JSON: json: cannot unmarshal number"},
		{``, "invalid JSON: Config cannot be empty in order to create a container"},
	}
	for _, tt := range tests {
		resp, err := rawClient(sock).Post("http://tug/v1.41/containers/create?name=x", "application/json", strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Message string }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(body.Message, tt.want) {
			t.Errorf("create with %q = %d %q, want 400 %q", tt.body, resp.StatusCode, body.Message, tt.want)
		}
	}
}

func TestStartErrors(t *testing.T) {
	c, _ := start(t, &fakeBackend{})
	ctx := context.Background()
	if _, err := c.ContainerStart(ctx, "ok", client.ContainerStartOptions{}); err != nil {
		t.Errorf("ContainerStart(ok) = %v, want nil", err)
	}
	// Docker answers 304 for an already started container; the client treats it as success.
	if _, err := c.ContainerStart(ctx, "running", client.ContainerStartOptions{}); err != nil {
		t.Errorf("ContainerStart(running) = %v, want nil (304)", err)
	}
	_, err := c.ContainerStart(ctx, "missing", client.ContainerStartOptions{})
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "No such container: missing") {
		t.Errorf("ContainerStart(missing) = %v, want NotFound \"No such container: missing\"", err)
	}
	_, err = c.ContainerKill(ctx, "missing", client.ContainerKillOptions{})
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "cannot kill container: missing: No such container: missing") {
		t.Errorf("ContainerKill(missing) = %v, want NotFound", err)
	}
	_, err = c.ContainerInspect(ctx, "missing", client.ContainerInspectOptions{})
	if !cerrdefs.IsNotFound(err) {
		t.Errorf("ContainerInspect(missing) = %v, want NotFound", err)
	}
}

func TestListFilters(t *testing.T) {
	b := &fakeBackend{}
	c, sock := start(t, b)
	res, err := c.ContainerList(context.Background(), client.ContainerListOptions{
		All:     true,
		Limit:   3,
		Filters: make(client.Filters).Add("status", "running", "exited").Add("name", "web"),
	})
	if err != nil {
		t.Fatalf("ContainerList() = %v", err)
	}
	if len(res.Items) != 1 || res.Items[0].ID != "c0ffee" {
		t.Errorf("ContainerList() = %+v", res.Items)
	}
	want := backend.ContainerListOptions{All: true, Limit: 3, Filters: filters.Args{"status": {"exited", "running"}, "name": {"web"}}}
	if d := cmp.Diff(want, b.listOpts); d != "" {
		t.Errorf("backend backend.ContainerListOptions mismatch (-want +got):\n%s", d)
	}

	// The legacy filter form, as old clients send it.
	resp, err := rawClient(sock).Get(`http://tug/v1.24/containers/json?filters={"label":["a=b"]}`)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || cmp.Diff(filters.Args{"label": {"a=b"}}, b.listOpts.Filters) != "" {
		t.Errorf("legacy filters: status %d, backend got %v", resp.StatusCode, b.listOpts.Filters)
	}
}

func TestWait(t *testing.T) {
	b := &fakeBackend{}
	c, _ := start(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res := c.ContainerWait(ctx, "web", client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	select {
	case r := <-res.Result:
		if r.StatusCode != 42 {
			t.Errorf("ContainerWait() StatusCode = %d, want 42", r.StatusCode)
		}
	case err := <-res.Error:
		t.Fatalf("ContainerWait() error = %v", err)
	}
	if b.waitCond != container.WaitConditionNextExit {
		t.Errorf("backend condition = %q, want next-exit", b.waitCond)
	}
	res = c.ContainerWait(ctx, "missing", client.ContainerWaitOptions{})
	if err := <-res.Error; !cerrdefs.IsNotFound(err) {
		t.Errorf("ContainerWait(missing) error = %v, want NotFound", err)
	}
}

func TestWaitHeaderBeforeResult(t *testing.T) {
	b := &fakeBackend{}
	_, sock := start(t, b)
	// The 200 header must arrive before the container exits: the CLI relies on it.
	req, _ := http.NewRequest(http.MethodPost, "http://tug/v1.41/containers/web/wait", nil)
	before := time.Now()
	resp, err := rawClient(sock).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if d := time.Since(before); d >= 50*time.Millisecond {
		t.Errorf("wait header took %v, want it before the result (50ms)", d)
	}
	var wr container.WaitResponse
	if err := json.NewDecoder(resp.Body).Decode(&wr); err != nil || wr.StatusCode != 42 {
		t.Errorf("wait body = %+v, %v, want StatusCode 42", wr, err)
	}
}

func TestAttachMultiplexed(t *testing.T) {
	b := &fakeBackend{}
	c, _ := start(t, b)
	res, err := c.ContainerAttach(context.Background(), "web", client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true, DetachKeys: "ctrl-p,ctrl-q"})
	if err != nil {
		t.Fatalf("ContainerAttach() = %v", err)
	}
	defer res.Close()
	if mt, _ := res.MediaType(); mt != "application/vnd.docker.multiplexed-stream" {
		t.Errorf("MediaType() = %q, want multiplexed", mt)
	}
	if _, err := io.WriteString(res.Conn, "ping\n"); err != nil {
		t.Fatal(err)
	}
	if err := res.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, res.Reader); err != nil {
		t.Fatalf("StdCopy() = %v", err)
	}
	if got, want := stdout.String(), "hello from stdout\ngot: ping\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got, want := stderr.String(), "hello from stderr\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	if string(b.stdin) != "ping\n" || b.attachOpt.DetachKeys != "ctrl-p,ctrl-q" || !b.attachOpt.Stream {
		t.Errorf("backend stdin = %q, opts = %+v", b.stdin, b.attachOpt)
	}
}

func TestAttachTTYAndErrors(t *testing.T) {
	c, _ := start(t, &fakeBackend{})
	res, err := c.ContainerAttach(context.Background(), "tty", client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		t.Fatalf("ContainerAttach(tty) = %v", err)
	}
	if mt, _ := res.MediaType(); mt != "application/vnd.docker.raw-stream" {
		t.Errorf("MediaType() = %q, want raw", mt)
	}
	res.CloseWrite()
	out, _ := io.ReadAll(res.Reader)
	res.Close()
	if got, want := string(out), "hello from stdout\nhello from stderr\n"; got != want {
		t.Errorf("tty output = %q, want %q", got, want)
	}

	_, err = c.ContainerAttach(context.Background(), "missing", client.ContainerAttachOptions{Stream: true, Stdout: true})
	if err == nil {
		t.Errorf("ContainerAttach(missing) = nil, want error")
	}
}

func TestLogs(t *testing.T) {
	b := &fakeBackend{}
	c, _ := start(t, b)
	rc, err := c.ContainerLogs(context.Background(), "web", client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: true, Tail: "10", Since: "1700000000.5", Timestamps: true,
	})
	if err != nil {
		t.Fatalf("ContainerLogs() = %v", err)
	}
	var stdout, stderr bytes.Buffer
	_, err = stdcopy.StdCopy(&stdout, &stderr, rc)
	rc.Close()
	if err != nil {
		t.Fatalf("StdCopy() = %v", err)
	}
	if stdout.String() != "line 1\nline 2\n" || stderr.String() != "oops\n" {
		t.Errorf("logs stdout %q stderr %q", stdout.String(), stderr.String())
	}
	want := backend.ContainerLogsOptions{Stdout: true, Stderr: true, Follow: true, Timestamps: true, Tail: 10, Since: time.Unix(1700000000, 5e8)}
	if d := cmp.Diff(want, b.logsOpts); d != "" {
		t.Errorf("backend backend.ContainerLogsOptions mismatch (-want +got):\n%s", d)
	}

	rc, err = c.ContainerLogs(context.Background(), "tty", client.ContainerLogsOptions{ShowStdout: true})
	if err != nil {
		t.Fatalf("ContainerLogs(tty) = %v", err)
	}
	raw, _ := io.ReadAll(rc)
	rc.Close()
	if string(raw) != "line 1\noops\nline 2\n" {
		t.Errorf("tty logs = %q", raw)
	}

	if _, err := c.ContainerLogs(context.Background(), "missing", client.ContainerLogsOptions{ShowStdout: true}); !cerrdefs.IsNotFound(err) {
		t.Errorf("ContainerLogs(missing) = %v, want NotFound", err)
	}
	if _, err := c.ContainerLogs(context.Background(), "web", client.ContainerLogsOptions{}); !cerrdefs.IsInvalidArgument(err) {
		t.Errorf("ContainerLogs(no streams) = %v, want InvalidArgument", err)
	}
}

func TestStopRemoveRenameResize(t *testing.T) {
	b := &fakeBackend{}
	c, _ := start(t, b)
	ctx := context.Background()
	ten := 10
	if _, err := c.ContainerStop(ctx, "web", client.ContainerStopOptions{Signal: "SIGINT", Timeout: &ten}); err != nil {
		t.Fatalf("ContainerStop() = %v", err)
	}
	if b.stopSig != "SIGINT" || b.stopT == nil || *b.stopT != 10 {
		t.Errorf("backend stop signal %q timeout %v", b.stopSig, b.stopT)
	}
	if _, err := c.ContainerRemove(ctx, "web", client.ContainerRemoveOptions{Force: true}); err != nil || b.removed != "web" {
		t.Errorf("ContainerRemove() = %v, removed %q", err, b.removed)
	}
	if _, err := c.ContainerRemove(ctx, "/web/db", client.ContainerRemoveOptions{RemoveLinks: true}); err != nil || b.removedLink != "web/db" || b.removed != "web" {
		t.Errorf("ContainerRemove(link) = %v, removed link %q (container %q)", err, b.removedLink, b.removed)
	}
	if _, err := c.ContainerRemove(ctx, "missing", client.ContainerRemoveOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("ContainerRemove(missing) = %v, want NotFound", err)
	}
	if _, err := c.ContainerRename(ctx, "web", client.ContainerRenameOptions{NewName: "web2"}); err != nil || b.renamed != [2]string{"web", "web2"} {
		t.Errorf("ContainerRename() = %v, renamed %v", err, b.renamed)
	}
	if _, err := c.ContainerResize(ctx, "web", client.ContainerResizeOptions{Height: 24, Width: 80}); err != nil || b.resized != [2]uint{24, 80} {
		t.Errorf("ContainerResize() = %v, resized %v", err, b.resized)
	}
}

func TestAttachClientHangUp(t *testing.T) {
	b := &fakeBackend{hungUp: make(chan struct{})}
	c, _ := start(t, b)
	res, err := c.ContainerAttach(context.Background(), "block", client.ContainerAttachOptions{Stream: true, Stdout: true})
	if err != nil {
		t.Fatalf("ContainerAttach() = %v", err)
	}
	// A half-close is not a hang-up: the CLI half-closes when it has no stdin.
	res.CloseWrite()
	select {
	case <-b.hungUp:
		t.Fatalf("attach ended on a half-close")
	case <-time.After(100 * time.Millisecond):
	}
	res.Close()
	select {
	case <-b.hungUp:
	case <-time.After(5 * time.Second):
		t.Fatalf("backend ctx not cancelled after the client hung up")
	}
}
