package conformance

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// endpoint is one path and method of the Engine API spec.
type endpoint struct{ method, path string }

func (e endpoint) String() string { return e.method + " " + e.path }

// specEndpoints reads every path and method of the swagger.yaml of the
// moby api module tug builds with (go.mod's version, from the module
// cache).
func specEndpoints(t *testing.T) (version string, eps []endpoint) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", "github.com/moby/moby/api").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/moby/moby/api: %v", err)
	}
	dir, version, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	f, err := os.Open(dir + "/swagger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pathRE := regexp.MustCompile(`^  (/\S*):\s*$`)
	methodRE := regexp.MustCompile(`^    (get|post|put|delete|head|patch):\s*$`)
	inPaths, path := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "paths:":
			inPaths = true
		case inPaths && line != "" && line[0] != ' ' && line[0] != '#':
			inPaths = false
		case !inPaths:
		case pathRE.MatchString(line):
			path = pathRE.FindStringSubmatch(line)[1]
		case methodRE.MatchString(line) && path != "":
			eps = append(eps, endpoint{strings.ToUpper(methodRE.FindStringSubmatch(line)[1]), path})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(eps) < 100 {
		t.Fatalf("read %d endpoints from %s/swagger.yaml; the parser no longer understands the file", len(eps), dir)
	}
	return version, eps
}

// missing names objects that do not exist: routes that take one must
// answer "no such object", never "page not found".
const missing = "tug-conform-missing"

// requestFor fills an endpoint's path parameters and adds what keeps the
// request on this host: every registry it names is 127.0.0.1:1 (nothing
// listens there), so no request leaves the machine.
func requestFor(e endpoint) (path, body string) {
	path = strings.NewReplacer("{id}", missing, "{name}", missing).Replace(e.path)
	body = "{}"
	switch e.String() {
	case "GET /distribution/{name}/json":
		path = "/distribution/127.0.0.1:1/" + missing + "/json"
	case "GET /images/search":
		path += "?term=127.0.0.1:1/" + missing
	case "POST /auth":
		body = `{"serveraddress":"127.0.0.1:1","username":"u","password":"p"}`
	case "GET /events":
		path += "?since=1&until=1"
	case "POST /images/create":
		path += "?fromImage=127.0.0.1:1/" + missing
	case "GET /plugins/privileges", "POST /plugins/pull":
		path += "?remote=127.0.0.1:1/" + missing
	case "POST /plugins/{name}/upgrade":
		path += "?remote=127.0.0.1:1/" + missing
	case "POST /commit":
		path += "?container=" + missing
	case "POST /build":
		path += "?remote=" + missing
	}
	return path, body
}

// refusedByDesign are the endpoints that answer 501: tug serves them and
// says it does not have the feature behind them.
var refusedByDesign = map[string]string{
	// tug's image store keeps no OCI image index, so no attestation
	// manifests: moby's graphdriver store answers 501 the same way.
	"GET /images/{name}/attestations": "attestations",
	// No managed plugins: installing one is refused, naming what.
	"GET /plugins/privileges":      "plugin",
	"POST /plugins/pull":           "plugin",
	"POST /plugins/create":         "plugin",
	"POST /plugins/{name}/upgrade": "plugin",
	// BuildKit's session protocol: tug's builder is the classic one.
	"POST /session": "BuildKit",
}

// TestEveryDocumentedEndpointAnswers walks every path and method of the
// Engine API spec against tugd: none may answer the router's "page not
// found" (a 404 must be a "no such object" answer), 405, or a 501 that is
// not one of the features refused by design, with its reason.
func TestEveryDocumentedEndpointAnswers(t *testing.T) {
	version, eps := specEndpoints(t)
	d := startDaemon(t)
	hc := unixClient(d.Socket)
	hc.Timeout = 20 * time.Second
	t.Logf("moby api %s: %d endpoints", version, len(eps))
	for _, e := range eps {
		path, body := requestFor(e)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var rd io.Reader
		if e.method == http.MethodPost || e.method == http.MethodPut {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, e.method, "http://tug"+path, rd)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if rd != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			cancel()
			t.Errorf("%s: %v", e, err)
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		cancel()
		var msg struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &msg)
		t.Logf("%-45s %d %.100s", e, resp.StatusCode, msg.Message)
		switch {
		case msg.Message == "page not found":
			t.Errorf("%s (%s): %d page not found: the route is missing", e, path, resp.StatusCode)
		case resp.StatusCode == http.StatusNotFound && !noSuchObject(msg.Message):
			t.Errorf("%s (%s): 404 %q is not a \"no such object\" answer", e, path, msg.Message)
		case resp.StatusCode == http.StatusMethodNotAllowed:
			t.Errorf("%s (%s): 405 %s", e, path, b)
		case resp.StatusCode == http.StatusNotImplemented:
			want, ok := refusedByDesign[e.String()]
			if !ok || !strings.Contains(msg.Message, want) {
				t.Errorf("%s (%s): 501 %q; only the features refused by design may answer 501, saying which", e, path, msg.Message)
			}
		}
	}
}

// noSuchObject tells the 404s that are about a missing object.
func noSuchObject(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "no such") ||
		(strings.Contains(m, "not found") || strings.Contains(m, "does not exist")) && strings.Contains(m, missing)
}
