package image

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/filters"
)

// fakeBackend is a hand-written Backend; the image "missing" does not exist.
type fakeBackend struct {
	mu         sync.Mutex
	listOpts   backend.ImageListOptions
	tagged     [3]string
	deleted    string
	force      bool
	noPrune    bool
	exported   []string
	loaded     string
	quiet      bool
	imported   string
	importOpts backend.ImageImportOptions
	pullOpts   backend.ImagePullOptions
}

func noImage(name string) error { return errdefs.NotFound("No such image: %s", name) }

func writeMsg(out io.Writer, m jsonstream.Message) { json.NewEncoder(out).Encode(m) }

func (f *fakeBackend) ImageList(_ context.Context, opts backend.ImageListOptions) ([]image.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listOpts = opts
	return []image.Summary{{ID: "sha256:aaa", RepoTags: []string{"busybox:latest"}}, {ID: "sha256:bbb"}}, nil
}

func (f *fakeBackend) ImageInspect(_ context.Context, name string) (*image.InspectResponse, error) {
	if name == "missing" {
		return nil, noImage(name)
	}
	return &image.InspectResponse{ID: "sha256:aaa", RepoTags: []string{name}}, nil
}

func (f *fakeBackend) ImageHistory(_ context.Context, name string) ([]image.HistoryResponseItem, error) {
	if name == "missing" {
		return nil, noImage(name)
	}
	return []image.HistoryResponseItem{{ID: "sha256:aaa", CreatedBy: "/bin/sh -c #(nop) CMD [\"sh\"]"}}, nil
}

func (f *fakeBackend) ImageTag(_ context.Context, source, repo, tag string) error {
	if source == "missing" {
		return noImage(source)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tagged = [3]string{source, repo, tag}
	return nil
}

func (f *fakeBackend) ImageDelete(_ context.Context, name string, force, noPrune bool) ([]image.DeleteResponse, error) {
	if name == "missing" {
		return nil, noImage(name)
	}
	if name == "in-use" {
		return nil, errdefs.Conflict("conflict: unable to remove repository reference %q (must force) - container c0ffee is using its referenced image aaa", name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted, f.force, f.noPrune = name, force, noPrune
	return []image.DeleteResponse{{Untagged: name}, {Deleted: "sha256:aaa"}}, nil
}

func (f *fakeBackend) ImageExport(_ context.Context, names []string, out io.Writer) error {
	for _, n := range names {
		if n == "missing" {
			return noImage(n)
		}
	}
	f.mu.Lock()
	f.exported = names
	f.mu.Unlock()
	_, err := io.WriteString(out, "TAR:"+strings.Join(names, ","))
	return err
}

func (f *fakeBackend) ImageLoad(_ context.Context, in io.Reader, quiet bool, out io.Writer) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.loaded, f.quiet = string(data), quiet
	f.mu.Unlock()
	if string(data) == "bad" {
		return errdefs.InvalidParameter("invalid tar header")
	}
	writeMsg(out, jsonstream.Message{Stream: "Loaded image: busybox:latest\n"})
	return nil
}

func (f *fakeBackend) ImageImport(_ context.Context, in io.Reader, opts backend.ImageImportOptions, out io.Writer) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.imported, f.importOpts = string(data), opts
	f.mu.Unlock()
	writeMsg(out, jsonstream.Message{Status: "sha256:ccc"})
	return nil
}

func (f *fakeBackend) ImagePull(_ context.Context, opts backend.ImagePullOptions, out io.Writer) error {
	f.mu.Lock()
	f.pullOpts = opts
	f.mu.Unlock()
	tagged, _ := opts.Ref.(reference.Tagged)
	tag := ""
	if tagged != nil {
		tag = tagged.Tag()
	}
	switch path.Base(opts.Ref.Name()) {
	case "missing":
		return errdefs.NotFound("pull access denied for missing, repository does not exist or may require 'docker login'")
	case "flaky":
		writeMsg(out, jsonstream.Message{Status: "Pulling from library/flaky", ID: tag})
		return errors.New("unexpected EOF")
	}
	writeMsg(out, jsonstream.Message{Status: "Pulling from library/" + opts.Ref.Name(), ID: tag})
	writeMsg(out, jsonstream.Message{Status: "Status: Downloaded newer image for " + opts.Ref.String()})
	return nil
}

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

func TestListInspectHistory(t *testing.T) {
	b := &fakeBackend{}
	c, sock := start(t, b)
	ctx := context.Background()
	res, err := c.ImageList(ctx, client.ImageListOptions{All: true, Filters: make(client.Filters).Add("dangling", "true")})
	if err != nil {
		t.Fatalf("ImageList() = %v", err)
	}
	if len(res.Items) != 2 || res.Items[1].RepoTags == nil {
		t.Errorf("ImageList() = %+v, want 2 images with non-nil RepoTags", res.Items)
	}
	if d := cmp.Diff(backend.ImageListOptions{All: true, Filters: filters.Args{"dangling": {"true"}}}, b.listOpts); d != "" {
		t.Errorf("backend backend.ImageListOptions mismatch (-want +got):\n%s", d)
	}

	// API < 1.43 shows untagged images as <none>:<none>.
	resp, err := rawClient(sock).Get("http://tug/v1.41/images/json")
	if err != nil {
		t.Fatal(err)
	}
	var old []image.Summary
	json.NewDecoder(resp.Body).Decode(&old)
	resp.Body.Close()
	if len(old) != 2 || cmp.Diff([]string{"<none>:<none>"}, old[1].RepoTags) != "" || old[1].Containers != -1 {
		t.Errorf("v1.41 image list = %+v", old)
	}

	insp, err := c.ImageInspect(ctx, "registry.example:5000/team/app:1.0")
	if err != nil || insp.ID != "sha256:aaa" || insp.RepoTags[0] != "registry.example:5000/team/app:1.0" {
		t.Errorf("ImageInspect() = %+v, %v", insp, err)
	}
	if _, err := c.ImageInspect(ctx, "missing"); !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "No such image: missing") {
		t.Errorf("ImageInspect(missing) = %v, want NotFound", err)
	}
	hist, err := c.ImageHistory(ctx, "team/app")
	if err != nil || len(hist.Items) != 1 {
		t.Errorf("ImageHistory() = %+v, %v", hist, err)
	}
}

func TestTagDelete(t *testing.T) {
	b := &fakeBackend{}
	c, _ := start(t, b)
	ctx := context.Background()
	if _, err := c.ImageTag(ctx, client.ImageTagOptions{Source: "busybox", Target: "localhost:5000/me/box:v1"}); err != nil {
		t.Fatalf("ImageTag() = %v", err)
	}
	if b.tagged != [3]string{"busybox", "localhost:5000/me/box", "v1"} {
		t.Errorf("backend tagged %v", b.tagged)
	}
	if _, err := c.ImageTag(ctx, client.ImageTagOptions{Source: "missing", Target: "x:y"}); !cerrdefs.IsNotFound(err) {
		t.Errorf("ImageTag(missing) = %v, want NotFound", err)
	}

	res, err := c.ImageRemove(ctx, "me/box:v1", client.ImageRemoveOptions{Force: true})
	if err != nil {
		t.Fatalf("ImageRemove() = %v", err)
	}
	want := []image.DeleteResponse{{Untagged: "me/box:v1"}, {Deleted: "sha256:aaa"}}
	if d := cmp.Diff(want, res.Items); d != "" {
		t.Errorf("ImageRemove() mismatch (-want +got):\n%s", d)
	}
	// The client sends noprune=1 unless PruneChildren.
	if b.deleted != "me/box:v1" || !b.force || !b.noPrune {
		t.Errorf("backend delete %q force %v noprune %v", b.deleted, b.force, b.noPrune)
	}
	if _, err := c.ImageRemove(ctx, "in-use", client.ImageRemoveOptions{}); !cerrdefs.IsConflict(err) {
		t.Errorf("ImageRemove(in-use) = %v, want Conflict", err)
	}
}

func TestSaveLoad(t *testing.T) {
	b := &fakeBackend{}
	c, sock := start(t, b)
	ctx := context.Background()

	rc, err := c.ImageSave(ctx, []string{"busybox", "team/app:1"})
	if err != nil {
		t.Fatalf("ImageSave() = %v", err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "TAR:busybox,team/app:1" {
		t.Errorf("ImageSave() data = %q", data)
	}
	resp, err := rawClient(sock).Get("http://tug/v1.41/images/team/app:1/get")
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-tar" || string(data) != "TAR:team/app:1" {
		t.Errorf("GET /images/team/app:1/get = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	if _, err := c.ImageSave(ctx, []string{"missing"}); !cerrdefs.IsNotFound(err) {
		t.Errorf("ImageSave(missing) = %v, want NotFound", err)
	}

	lr, err := c.ImageLoad(ctx, strings.NewReader("tarball"), client.ImageLoadWithQuiet(true))
	if err != nil {
		t.Fatalf("ImageLoad() = %v", err)
	}
	var m jsonstream.Message
	json.NewDecoder(lr).Decode(&m)
	lr.Close()
	if m.Stream != "Loaded image: busybox:latest\n" || b.loaded != "tarball" || !b.quiet {
		t.Errorf("ImageLoad() message %+v, backend got %q quiet %v", m, b.loaded, b.quiet)
	}
	// Load errors are reported in the stream, as Docker does.
	lr, err = c.ImageLoad(ctx, strings.NewReader("bad"))
	if err != nil {
		t.Fatalf("ImageLoad(bad) = %v", err)
	}
	m = jsonstream.Message{}
	json.NewDecoder(lr).Decode(&m)
	lr.Close()
	if m.Error == nil || m.Error.Message != "invalid tar header" {
		t.Errorf("ImageLoad(bad) message = %+v, want errorDetail", m)
	}
}

func TestImportPull(t *testing.T) {
	b := &fakeBackend{}
	c, _ := start(t, b)
	ctx := context.Background()

	rc, err := c.ImageImport(ctx, client.ImageImportSource{Source: strings.NewReader("rootfs tar"), SourceName: "-"}, "me/imported:v2",
		client.ImageImportOptions{Changes: []string{"CMD [\"sh\"]"}})
	if err != nil {
		t.Fatalf("ImageImport() = %v", err)
	}
	var m jsonstream.Message
	json.NewDecoder(rc).Decode(&m)
	rc.Close()
	if m.Status != "sha256:ccc" || b.imported != "rootfs tar" {
		t.Errorf("ImageImport() message %+v, backend got %q", m, b.imported)
	}
	wantOpts := backend.ImageImportOptions{Repo: "me/imported", Tag: "v2", Changes: []string{"CMD [\"sh\"]"}, Message: "Imported from -"}
	if d := cmp.Diff(wantOpts, b.importOpts); d != "" {
		t.Errorf("backend backend.ImageImportOptions mismatch (-want +got):\n%s", d)
	}

	pr, err := c.ImagePull(ctx, "busybox:1.36", client.ImagePullOptions{RegistryAuth: "e30="})
	if err != nil {
		t.Fatalf("ImagePull() = %v", err)
	}
	var statuses []string
	for m, err := range pr.JSONMessages(ctx) {
		if err != nil {
			t.Fatalf("JSONMessages: %v", err)
		}
		statuses = append(statuses, m.Status)
	}
	if len(statuses) != 2 || b.pullOpts.Ref.String() != "docker.io/library/busybox:1.36" || b.pullOpts.AllTags || b.pullOpts.AuthHeader != "e30=" {
		t.Errorf("pull statuses %q, backend opts %+v", statuses, b.pullOpts)
	}

	// An error before the stream starts is a normal error response...
	if _, err := c.ImagePull(ctx, "missing", client.ImagePullOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("ImagePull(missing) = %v, want NotFound", err)
	}
	// ...one after it started is a message in the stream.
	pr, err = c.ImagePull(ctx, "flaky", client.ImagePullOptions{})
	if err != nil {
		t.Fatalf("ImagePull(flaky) = %v", err)
	}
	if err := pr.Wait(ctx); err == nil || err.Error() != "unexpected EOF" {
		t.Errorf("ImagePull(flaky).Wait() = %v, want \"unexpected EOF\"", err)
	}
}
