package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	apiimage "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tug-project/tug/internal/content"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/snapshot/overlay"
	"github.com/tug-project/tug/internal/testutil"
)

type env struct {
	root string
	cs   *content.Store
	sn   *overlay.Snapshotter
	s    *Store
}

func newEnv(t *testing.T, root string) *env {
	t.Helper()
	cs, err := content.NewStore(filepath.Join(root, "content"))
	if err != nil {
		t.Fatal(err)
	}
	sn, err := overlay.New(filepath.Join(root, "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(filepath.Join(root, "image"), cs, sn)
	if err != nil {
		t.Fatal(err)
	}
	return &env{root, cs, sn, s}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func importBusybox(t *testing.T, e *env, ref string, compress bool) *Image {
	t.Helper()
	data := testutil.BusyboxTar(t)
	if compress {
		data = gz(data)
	}
	img, err := e.s.Import(context.Background(), bytes.NewReader(data), ref, []string{`CMD ["sh"]`}, "")
	if err != nil {
		t.Fatalf("Import() = %v", err)
	}
	return img
}

// withRootfs prepares a container snapshot of img, mounts it, runs fn on
// the mounted dir, and undoes it all, checking that nothing leaked.
func withRootfs(t *testing.T, e *env, img *Image, fn func(dir string)) {
	t.Helper()
	ctx := context.Background()
	key := "ctr-" + ShortID(img.ID)
	mounts, err := e.sn.Prepare(ctx, key, img.ChainID)
	if err != nil {
		t.Fatalf("Prepare() = %v", err)
	}
	dir := filepath.Join(e.root, "rootfs-"+key)
	os.MkdirAll(dir, 0o755)
	if err := mount.All(mounts, dir); err != nil {
		t.Fatalf("mount.All() = %v", err)
	}
	defer func() {
		if err := mount.UnmountAll(dir); err != nil {
			t.Errorf("UnmountAll() = %v", err)
		}
		if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), " "+dir+" ") {
			t.Errorf("%s still mounted", dir)
		}
		if err := e.sn.Remove(ctx, key); err != nil {
			t.Errorf("Remove() = %v", err)
		}
	}()
	fn(dir)
}

func TestImportBusybox(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	e := newEnv(t, t.TempDir())
	raw := testutil.BusyboxTar(t)
	img := importBusybox(t, e, "busybox", true)

	diffID := digest.FromBytes(raw)
	if len(img.Layers) != 1 || img.Layers[0].DiffID != diffID || img.ChainID != diffID {
		t.Fatalf("Import() layers = %+v chain %s, want one layer with diffID %s", img.Layers, img.ChainID, diffID)
	}
	if img.Layers[0].MediaType != ocispec.MediaTypeImageLayerGzip || !e.cs.Exists(ctx, img.Layers[0].Digest) {
		t.Fatalf("layer blob %+v: want the gzip blob kept", img.Layers[0])
	}
	if diff := cmp.Diff([]string{"busybox:latest"}, img.RepoTags); diff != "" {
		t.Fatalf("RepoTags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"sh"}, img.Config.Config.Cmd); diff != "" {
		t.Fatalf("Cmd (-want +got):\n%s", diff)
	}
	if img.ID != digest.FromBytes(img.RawConfig) || img.Config.OS != "linux" || img.Comment != "Imported from -" {
		t.Fatalf("config: id %s os %q comment %q", img.ID, img.Config.OS, img.Comment)
	}
	if fi, _ := os.Stat(testutil.BusyboxPath); img.Size < fi.Size() {
		t.Fatalf("Size = %d, want >= busybox's %d", img.Size, fi.Size())
	}

	for _, name := range []string{"busybox", "busybox:latest", "docker.io/library/busybox", "library/busybox:latest",
		img.ID.String(), img.ID.Encoded(), ShortID(img.ID), img.ID.Encoded()[:1], "sha256:" + img.ID.Encoded()[:5]} {
		got, err := e.s.Get(ctx, name)
		if err != nil || got.ID != img.ID {
			t.Fatalf("Get(%q) = %v, %v, want %s", name, got, err, img.ID)
		}
	}
	for _, name := range []string{"busybox:other", "nope"} {
		if _, err := e.s.Get(ctx, name); !errors.Is(err, errdefs.ErrNotFound) {
			t.Fatalf("Get(%q) = %v, want not found", name, err)
		}
	}

	withRootfs(t, e, img, func(dir string) {
		fi, err := os.Stat(filepath.Join(dir, "bin/busybox"))
		if err != nil || fi.Mode().Perm() != 0o755 {
			t.Fatalf("bin/busybox in rootfs: %v, %v", fi, err)
		}
	})

	// The store survives a restart.
	e2 := newEnv(t, e.root)
	got, err := e2.s.Get(ctx, "busybox")
	if err != nil || got.ID != img.ID || got.Size != img.Size {
		t.Fatalf("Get() after reopen = %+v, %v", got, err)
	}
}

func mkLayer(t *testing.T, entries ...[3]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e[0], Mode: 0o644}
		switch e[1] {
		case "dir":
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e[2]))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e[2]))
	}
	tw.Close()
	return buf.Bytes()
}

// createTwoLayer makes an image whose second (gzip) layer deletes
// etc/gone with a whiteout and makes data/ opaque.
func createTwoLayer(t *testing.T, e *env, ref string) *Image {
	t.Helper()
	ctx := context.Background()
	l1 := mkLayer(t, [3]string{"etc/", "dir"}, [3]string{"etc/gone", "", "x"}, [3]string{"etc/kept", "", "k"},
		[3]string{"data/", "dir"}, [3]string{"data/old", "", "o"})
	l2 := mkLayer(t, [3]string{"etc/", "dir"}, [3]string{"etc/.wh.gone", "", ""},
		[3]string{"data/", "dir"}, [3]string{"data/.wh..wh..opq", "", ""}, [3]string{"data/new", "", "n"})
	var layers []Layer
	var diffIDs []digest.Digest
	for _, b := range [][]byte{l1, gz(l2)} {
		d, n, err := e.cs.Put(ctx, bytes.NewReader(b), "", -1)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, Layer{Digest: d, Size: n})
	}
	diffIDs = []digest.Digest{digest.FromBytes(l1), digest.FromBytes(l2)}
	layers[0].DiffID, layers[0].MediaType = diffIDs[0], ocispec.MediaTypeImageLayer
	layers[1].DiffID, layers[1].MediaType = diffIDs[1], ocispec.MediaTypeImageLayerGzip
	var cfg dockerspec.DockerOCIImage
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}
	cfg.Config.Cmd = []string{"/bin/true"}
	raw, _ := json.Marshal(cfg)
	img, err := e.s.Create(ctx, raw, layers, ref)
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	if img.ChainID != overlay.ChainIDs(diffIDs)[1] {
		t.Fatalf("ChainID = %s, want %s", img.ChainID, overlay.ChainIDs(diffIDs)[1])
	}
	return img
}

func readDirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestTwoLayerWhiteouts(t *testing.T) {
	testutil.RequiresRoot(t)
	e := newEnv(t, t.TempDir())
	img := createTwoLayer(t, e, "two:layers")
	withRootfs(t, e, img, func(dir string) {
		// Besides the kept file, the snapshot's init layer has its mount points.
		if diff := cmp.Diff([]string{"hostname", "hosts", "kept", "resolv.conf"}, readDirNames(t, filepath.Join(dir, "etc"))); diff != "" {
			t.Fatalf("etc (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"new"}, readDirNames(t, filepath.Join(dir, "data"))); diff != "" {
			t.Fatalf("data (-want +got):\n%s", diff)
		}
	})
}

func tarNames(t *testing.T, b []byte) []string {
	tr := tar.NewReader(bytes.NewReader(b))
	var out []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h.Name)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	e := newEnv(t, t.TempDir())
	bb := importBusybox(t, e, "busybox", true)
	if err := e.s.Tag(ctx, "busybox", "localhost:5000/bb:v1"); err != nil {
		t.Fatal(err)
	}
	two := createTwoLayer(t, e, "two:layers")
	untagged, err := e.s.Import(ctx, bytes.NewReader(mkLayer(t, [3]string{"f", "", "untagged"})), "", nil, "m")
	if err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	if err := e.s.Save(ctx, []string{"busybox", "localhost:5000/bb:v1", "two:layers", untagged.ID.Encoded()[:8]}, &buf); err != nil {
		t.Fatalf("Save() = %v", err)
	}
	names := tarNames(t, buf.Bytes())
	for _, want := range []string{"blobs/", "blobs/sha256/", "index.json", "manifest.json", "oci-layout", "repositories", blobPath(bb.ID), blobPath(bb.Layers[0].Digest)} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Fatalf("Save() archive lacks %s: %v", want, names)
		}
	}

	tests := []struct {
		name  string
		strip string // an archive member to drop, forcing the other format
	}{
		{"docker manifest.json", ""},
		{"oci index.json", "manifest.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			archiveBytes := buf.Bytes()
			if tt.strip != "" {
				archiveBytes = stripMember(t, archiveBytes, tt.strip)
			}
			e2 := newEnv(t, t.TempDir())
			res, err := e2.s.Load(ctx, bytes.NewReader(archiveBytes))
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			sort.Slice(res, func(i, j int) bool { return res[i].Ref < res[j].Ref })
			want := []LoadResult{{"", untagged.ID}, {"busybox:latest", bb.ID}, {"localhost:5000/bb:v1", bb.ID}, {"two:layers", two.ID}}
			if diff := cmp.Diff(want, res); diff != "" {
				t.Fatalf("Load() mismatch (-want +got):\n%s", diff)
			}
			got, err := e2.s.Get(ctx, "two:layers")
			if err != nil || got.ChainID != two.ChainID || got.Size != two.Size {
				t.Fatalf("Get(two:layers) = %+v, %v", got, err)
			}
			if diff := cmp.Diff(two.Layers, got.Layers); diff != "" {
				t.Fatalf("layers after load (-want +got):\n%s", diff)
			}
			withRootfs(t, e2, got, func(dir string) {
				if diff := cmp.Diff([]string{"new"}, readDirNames(t, filepath.Join(dir, "data"))); diff != "" {
					t.Fatalf("data (-want +got):\n%s", diff)
				}
			})
			var unreferenced []digest.Digest
			e2.cs.Walk(ctx, func(d digest.Digest, _ int64) error {
				used := false
				imgs, _ := e2.s.List(ctx)
				for _, img := range imgs {
					used = used || img.ID == d
					for _, l := range img.Layers {
						used = used || l.Digest == d
					}
				}
				if !used {
					unreferenced = append(unreferenced, d)
				}
				return nil
			})
			if len(unreferenced) != 0 {
				t.Fatalf("Load() left unreferenced blobs %v", unreferenced)
			}
		})
	}
}

func stripMember(t *testing.T, b []byte, name string) []byte {
	tr := tar.NewReader(bytes.NewReader(b))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			continue
		}
		tw.WriteHeader(h)
		io.Copy(tw, tr)
	}
	tw.Close()
	return out.Bytes()
}

func TestLoadRejectsCorruptBlob(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	e := newEnv(t, t.TempDir())
	img := createTwoLayer(t, e, "two:layers")
	var buf bytes.Buffer
	if err := e.s.Save(ctx, []string{"two:layers"}, &buf); err != nil {
		t.Fatal(err)
	}
	// Flip the content of the config blob.
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		b, _ := io.ReadAll(tr)
		if h.Name == blobPath(img.ID) {
			b = bytes.Replace(b, []byte("/bin/true"), []byte("/bin/evil"), 1)
		}
		tw.WriteHeader(h)
		tw.Write(b)
	}
	tw.Close()
	e2 := newEnv(t, t.TempDir())
	if _, err := e2.s.Load(ctx, &out); err == nil {
		t.Fatal("Load() of a corrupt archive succeeded")
	}
	if imgs, _ := e2.s.List(ctx); len(imgs) != 0 {
		t.Fatalf("List() after failed load = %d images", len(imgs))
	}
}

type ctrUse struct {
	id      string
	running bool
}

func TestDelete(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	e := newEnv(t, t.TempDir())
	img := createTwoLayer(t, e, "app:v1")
	short := ShortID(img.ID)
	var use *ctrUse
	usedBy := func(id digest.Digest) (string, bool, bool) {
		if use == nil || id != img.ID {
			return "", false, false
		}
		return use.id, use.running, true
	}
	tag := func(ref string) {
		if err := e.s.Tag(ctx, img.ID.String(), ref); err != nil {
			t.Fatal(err)
		}
	}
	ctr := strings.Repeat("c", 64)

	// Two repositories: deleting by ID needs force.
	tag("other:v2")
	_, err := e.s.Delete(ctx, short, false, usedBy)
	if want := "conflict: unable to delete " + short + " (must be forced) - image is referenced in multiple repositories"; err == nil || err.Error() != want || !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("Delete(id) = %v, want %q", err, want)
	}
	// A name untags only.
	got, err := e.s.Delete(ctx, "other:v2", false, usedBy)
	if diff := cmp.Diff([]apiimage.DeleteResponse{{Untagged: "other:v2"}}, got); err != nil || diff != "" {
		t.Fatalf("Delete(other:v2) = %v (-want +got):\n%s", err, diff)
	}
	// The last tag, with a stopped container using it.
	use = &ctrUse{id: ctr, running: false}
	_, err = e.s.Delete(ctx, "app:v1", false, usedBy)
	if want := `conflict: unable to remove repository reference "app:v1" (must force) - container cccccccccccc is using its referenced image ` + short; err == nil || err.Error() != want {
		t.Fatalf("Delete(app:v1) in use = %v, want %q", err, want)
	}
	_, err = e.s.Delete(ctx, img.ID.String(), false, usedBy)
	if want := "conflict: unable to delete " + short + " (must be forced) - image is being used by stopped container cccccccccccc"; err == nil || err.Error() != want {
		t.Fatalf("Delete(id) stopped = %v, want %q", err, want)
	}
	use.running = true
	_, err = e.s.Delete(ctx, img.ID.String(), true, usedBy)
	if want := "conflict: unable to delete " + short + " (cannot be forced) - image is being used by running container cccccccccccc"; err == nil || err.Error() != want {
		t.Fatalf("Delete(id, force) running = %v, want %q", err, want)
	}

	// Forced delete with a stopped container: the image goes, its layers stay.
	use.running = false
	mounts, err := e.sn.Prepare(ctx, ctr, img.ChainID)
	if err != nil || len(mounts) != 1 {
		t.Fatal(err)
	}
	got, err = e.s.Delete(ctx, img.ID.Encoded(), true, usedBy)
	want := []apiimage.DeleteResponse{{Untagged: "app:v1"}, {Deleted: img.ID.String()}}
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Fatalf("Delete(id, force) = %v (-want +got):\n%s", err, diff)
	}
	if _, err := e.s.Get(ctx, img.ID.String()); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Get() after delete = %v", err)
	}
	for _, c := range overlay.ChainIDs(img.Config.RootFS.DiffIDs) {
		if !e.sn.Exists(c) {
			t.Fatalf("layer %s removed while a container uses it", c)
		}
	}
	if e.cs.Exists(ctx, img.ID) || e.cs.Exists(ctx, img.Layers[0].Digest) {
		t.Fatal("blobs of the deleted image remain")
	}
	// Once the container is gone, GC drops the layers.
	if err := e.sn.Remove(ctx, ctr); err != nil {
		t.Fatal(err)
	}
	if err := e.s.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if layers, _ := e.sn.Layers(ctx); len(layers) != 0 {
		t.Fatalf("layers after GC: %v", layers)
	}

	// Untagging the last tag of an unused image deletes it and its layers.
	img = createTwoLayer(t, e, "app:v1")
	use = nil
	got, err = e.s.Delete(ctx, "app:v1", false, usedBy)
	chains := overlay.ChainIDs(img.Config.RootFS.DiffIDs)
	want = []apiimage.DeleteResponse{{Untagged: "app:v1"}, {Deleted: img.ID.String()}, {Deleted: chains[1].String()}, {Deleted: chains[0].String()}}
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Fatalf("Delete(app:v1) = %v (-want +got):\n%s", err, diff)
	}
	var blobs int
	e.cs.Walk(ctx, func(digest.Digest, int64) error { blobs++; return nil })
	if blobs != 0 {
		t.Fatalf("%d blobs left", blobs)
	}
	if _, err := e.s.Delete(ctx, "app:v1", false, usedBy); err == nil || err.Error() != "No such image: app:v1" {
		t.Fatalf("Delete(missing) = %v", err)
	}
}

func TestSharedLayersSurviveDelete(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	e := newEnv(t, t.TempDir())
	a := importBusybox(t, e, "a", false)
	b, err := e.s.Import(ctx, bytes.NewReader(testutil.BusyboxTar(t)), "b", []string{"CMD [\"ls\"]"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID || a.ChainID != b.ChainID {
		t.Fatalf("want distinct images sharing a layer: %s %s / %s %s", a.ID, a.ChainID, b.ID, b.ChainID)
	}
	got, err := e.s.Delete(ctx, "a", false, nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("Delete(a) = %v, %v", got, err)
	}
	if !e.sn.Exists(b.ChainID) || !e.cs.Exists(ctx, b.Layers[0].Digest) {
		t.Fatal("shared layer removed")
	}
}

func TestEnsureHelloWorld(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	e := newEnv(t, t.TempDir())
	if err := e.s.EnsureHelloWorld(ctx, filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Fatalf("EnsureHelloWorld(missing) = %v", err)
	}
	if imgs, _ := e.s.List(ctx); len(imgs) != 0 {
		t.Fatal("image created without a binary")
	}
	bin := testutil.BusyboxPath
	if err := e.s.EnsureHelloWorld(ctx, bin); err != nil {
		t.Fatalf("EnsureHelloWorld() = %v", err)
	}
	img, err := e.s.Get(ctx, "hello-world")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/hello"}, img.Config.Config.Cmd); diff != "" {
		t.Fatalf("Cmd (-want +got):\n%s", diff)
	}
	withRootfs(t, e, img, func(dir string) {
		fi, err := os.Stat(filepath.Join(dir, "hello"))
		if err != nil || fi.Mode().Perm() != 0o755 {
			t.Fatalf("/hello: %v %v", fi, err)
		}
	})
	e2 := newEnv(t, t.TempDir())
	if err := e2.s.EnsureHelloWorld(ctx, bin); err != nil {
		t.Fatal(err)
	}
	if img2, _ := e2.s.Get(ctx, "hello-world"); img2 == nil || img2.ID != img.ID {
		t.Fatalf("hello-world not deterministic: %v vs %s", img2, img.ID)
	}
}
