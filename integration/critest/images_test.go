package critest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/tug-project/tug/internal/testutil"
)

// startRegistry serves an in-memory registry on 127.0.0.1 and returns its
// host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}}
	srv.Start()
	t.Cleanup(srv.Close)
	return l.Addr().String()
}

// Users and groups of the test images: those of the images critest's
// images/ directory builds (www-data is busybox's uid 33; the
// predefined-group image adds default-user 1000 in group 50000).
const (
	passwd = "root:x:0:0:root:/root:/bin/sh\n" +
		"www-data:x:33:33:www-data:/var/www:/bin/false\n" +
		"nobody:x:65534:65534:nobody:/home:/bin/false\n"
	group = "root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n"

	predefinedPasswd = passwd + "default-user:x:1000:1000:Linux User,,,:/home/default-user:/bin/sh\n"
	predefinedGroup  = group + "default-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n"
)

// file is one entry of an image layer: a regular file, or a hard link
// to link when link is set.
type file struct {
	path, body string
	mode       int64
	link       string
}

// layer is an uncompressed layer holding files (their directories made).
func layer(t *testing.T, files ...file) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	write := func(h *tar.Header, body string) {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		for i := 1; i < len(f.path); i++ {
			if f.path[i] == '/' && !dirs[f.path[:i]] {
				dirs[f.path[:i]] = true
				mode := int64(0o755)
				if f.path[:i] == "tmp" {
					mode = 0o1777
				}
				write(&tar.Header{Typeflag: tar.TypeDir, Name: f.path[:i] + "/", Mode: mode}, "")
			}
		}
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		if f.link != "" {
			write(&tar.Header{Typeflag: tar.TypeLink, Name: f.path, Linkname: f.link, Mode: mode}, "")
			continue
		}
		write(&tar.Header{Typeflag: tar.TypeReg, Name: f.path, Mode: mode, Size: int64(len(f.body))}, f.body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Shell stand-ins for the two tools of the e2e busybox image that
// Debian's busybox-static lacks.
const (
	ipcsScript  = "#!/bin/sh\n# ipcs -m: the System V shared memory segments of this IPC namespace\ncat /proc/sysvipc/shm\n"
	pgrepScript = "#!/bin/sh\n# pgrep NAME: the pids of the processes called NAME\nps -o pid,comm | awk -v n=\"$1\" '$2 == n { print $1 }'\n"
)

// baseLayer is the e2e busybox image's root filesystem from
// busybox-static: the applets are hard links (as in the busybox image:
// masking /bin/ls must leave /bin/sh alone), with ipcs and pgrep.
func baseLayer(t *testing.T) v1.Layer {
	t.Helper()
	bb, err := os.ReadFile(testutil.BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	files := []file{{path: "bin/busybox", body: string(bb), mode: 0o755}}
	for _, a := range testutil.Applets(t) {
		if a != "busybox" {
			files = append(files, file{path: "bin/" + a, link: "bin/busybox", mode: 0o755})
		}
	}
	files = append(files,
		file{path: "bin/ipcs", body: ipcsScript, mode: 0o755},
		file{path: "bin/pgrep", body: pgrepScript, mode: 0o755},
		file{path: "tmp/.keep"}, file{path: "root/.keep"}, file{path: "proc/.keep"}, file{path: "sys/.keep"}, file{path: "dev/.keep"})
	return layer(t, files...)
}

// goBinary builds the static program of testdata/<name>.
func goBinary(t *testing.T, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", out, "./testdata/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// imageSpec is one test image: the busybox layer with etc files and extra
// files on top, and its config.
type imageSpec struct {
	refs  []string // names critest pulls
	etc   [2]string
	files []file
	cfg   v1.Config
}

const (
	k8s     = "registry.k8s.io/e2e-test-images/"
	staging = "gcr.io/k8s-staging-cri-tools/"
)

// testImages are critest v1.37.0's images (pkg/framework, pkg/validate,
// images/) under the names critest pulls; nnp is the nonewprivs program,
// web the web server (testdata).
func testImages(nnp, web string) []imageSpec {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	sh := v1.Config{Cmd: []string{"sh"}, Env: env}
	withUser := func(u string) v1.Config { c := sh; c.User = u; return c }
	// The web servers answer 200 on /; nginx's writes its pid file and
	// shows "master process" in its cmdline, httpd's says "httpd" in its
	// log (the specs look for these).
	server := func(bin, name, port, root string, refs ...string) imageSpec {
		return imageSpec{
			refs: refs,
			files: []file{{path: root[1:] + "/index.html", body: "<html><body>tug critest</body></html>\n"},
				{path: bin[1:], body: web, mode: 0o755}, {path: "var/run/.keep"}},
			cfg: v1.Config{Cmd: []string{bin, "-name", name, "-port", port, "-root", root, "-pid-file", "/var/run/" + name + ".pid", "master process"},
				Env: env, ExposedPorts: map[string]struct{}{port + "/tcp": {}}},
		}
	}
	imgs := []imageSpec{
		{refs: []string{k8s + "busybox:1.29-2"}, cfg: sh},
		server("/usr/sbin/nginx", "nginx", "80", "/usr/share/nginx/html", k8s+"nginx:1.14-2"),
		server("/usr/local/apache2/bin/httpd", "httpd", "80", "/usr/local/apache2/htdocs", k8s+"httpd:2.4.39-4"),
		server("/usr/sbin/nginx", "nginx", "12003", "/usr/share/nginx/html", staging+"hostnet-nginx-"+runtime.GOARCH+":latest"),
		{refs: []string{k8s + "nonewprivs:1.3"}, files: []file{{path: "usr/local/bin/nnp", body: nnp, mode: 0o4755}},
			cfg: v1.Config{Entrypoint: []string{"/usr/local/bin/nnp"}, Env: env}},
		{refs: []string{staging + "test-image-user-uid:latest"}, cfg: withUser("1002")},
		{refs: []string{staging + "test-image-user-username:latest"}, cfg: withUser("www-data")},
		{refs: []string{staging + "test-image-user-uid-group:latest"}, cfg: withUser("1003:1004")},
		{refs: []string{staging + "test-image-user-username-group:latest"}, cfg: withUser("www-data:1004")},
		{refs: []string{staging + "test-image-predefined-group:latest"}, etc: [2]string{predefinedPasswd, predefinedGroup}, cfg: withUser("1000")},
		// One image under three tags, and under two registries.
		{refs: []string{staging + "test-image-tags:1", staging + "test-image-tags:2", staging + "test-image-tags:3"},
			files: []file{{path: "test-image-tags", body: "tags"}}, cfg: sh},
		{refs: []string{"registry.k8s.io/pause:3.9", "k8s.gcr.io/pause:3.9"}, cfg: v1.Config{Entrypoint: []string{"sleep", "86400"}, Env: env}},
	}
	// image-test: busybox with a file named after the image, so each differs.
	for _, n := range []string{"test-image-latest:latest", "test-image-tag:test", "test-image-tag:all", "test-image-1:latest", "test-image-2:latest", "test-image-3:latest"} {
		imgs = append(imgs, imageSpec{refs: []string{staging + n}, files: []file{{path: strings.ReplaceAll(n, ":", "-"), body: n}}, cfg: sh})
	}
	return imgs
}

// pushTestImages builds the test images and pushes them to the registry
// on host, under their names' paths (the registry mirrors theirs).
func pushTestImages(t *testing.T, host string) {
	t.Helper()
	base := baseLayer(t)
	for _, spec := range testImages(goBinary(t, "nnp"), goBinary(t, "webserver")) {
		etc := spec.etc
		if etc[0] == "" {
			etc = [2]string{passwd, group}
		}
		layers := []v1.Layer{base, layer(t, file{path: "etc/passwd", body: etc[0]}, file{path: "etc/group", body: etc[1]})}
		if len(spec.files) > 0 {
			layers = append(layers, layer(t, spec.files...))
		}
		img, err := mutate.AppendLayers(empty.Image, layers...)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Config = "linux", runtime.GOARCH, spec.cfg
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		for _, r := range spec.refs {
			_, path, _ := strings.Cut(r, "/")
			if err := push(host+"/"+path, img); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func push(r string, img v1.Image) error {
	ref, err := name.ParseReference(r, name.Insecure)
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	return nil
}
