package build

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/cli/command"
)

// The direct context: when tugd listens on a local unix socket and the
// context is a directory here, the CLI names the directory (query
// tug-context-dir, with tug-context-id to prove it is the same directory on
// the daemon's side) instead of streaming it as a tar; tugd reads it in
// place, applies .dockerignore the same way, and remembers file digests
// between builds. A daemon that cannot use the directory answers with an
// HTTP error whose text starts with "tug-context-dir", and the CLI sends the
// tar after all. TUG_BUILD_CONTEXT=tar always sends the tar.
const envBuildContext = "TUG_BUILD_CONTEXT"

// directBuild is a build whose context tugd reads in place.
type directBuild struct {
	client *client.Client // adds the tug-context-* query to POST /build
	dfName string
}

// directContext returns how to build path in place, or false when the tar
// stream is needed: another daemon, a remote one, stdin or a URL as the
// context or Dockerfile, or a Dockerfile outside the context.
func directContext(ctx context.Context, c *command.Cli, o options, path string) (*directBuild, bool) {
	if os.Getenv(envBuildContext) == "tar" || path == "-" || o.file == "-" || isURL(path) {
		return nil, false
	}
	sock, ok := strings.CutPrefix(c.Host(), "unix://")
	if !ok || sock == "" {
		return nil, false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, false
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.IsDir() {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, false
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return nil, false
	}
	id := strings.TrimSpace(string(boot)) + ":" + strconv.FormatUint(uint64(st.Dev), 10) + ":" + strconv.FormatUint(st.Ino, 10)

	var dfName string
	switch {
	case o.file == "":
		dfName = "Dockerfile"
		if _, err := os.Stat(filepath.Join(abs, dfName)); err != nil {
			return nil, false // the tar path reports it (or finds "dockerfile")
		}
	default:
		p, err := filepath.Abs(o.file)
		if err != nil {
			return nil, false
		}
		rel, err := filepath.Rel(abs, p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, false
		}
		dfName = filepath.ToSlash(rel)
	}

	// Only tugd knows tug-context-dir; dockerd would build an empty context.
	v, err := c.Client().ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil || !strings.HasPrefix(v.Platform.Name, "tug") {
		return nil, false
	}
	extra := url.Values{"tug-context-dir": {abs}, "tug-context-id": {id}}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}
	hc := &http.Client{Transport: &queryTransport{base: tr, extra: extra}}
	cl, err := client.New(client.WithHost(c.Host()), client.WithHTTPClient(hc),
		client.WithAPIVersion(c.Client().ClientVersion()), client.WithUserAgent("tug-cli/"+command.Version))
	if err != nil {
		return nil, false
	}
	return &directBuild{client: cl, dfName: dfName}, true
}

// queryTransport adds the direct-context query to POST /build.
type queryTransport struct {
	base  http.RoundTripper
	extra url.Values
}

func (t *queryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/build") {
		r = r.Clone(r.Context())
		q := r.URL.Query()
		for k, v := range t.extra {
			q[k] = v
		}
		r.URL.RawQuery = q.Encode()
	}
	return t.base.RoundTrip(r)
}

// isContextDirError reports whether tugd refused the direct context.
func isContextDirError(err error) bool {
	return err != nil && strings.Contains(err.Error(), "tug-context-dir")
}

func emptyBody() *bytes.Reader { return bytes.NewReader(nil) }
