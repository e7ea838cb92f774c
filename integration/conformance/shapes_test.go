package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// shapesVersion is the API version of the recordings (Docker 20.10's): tugd
// is asked at the same version, so differences between versions do not
// show up as differences between the engines.
const shapesVersion = "1.41"

// dataMaps are the objects whose keys are data (names, labels, ports), not
// part of the shape: their members are compared as one "*" member.
var dataMaps = map[string]bool{
	"Labels": true, "Options": true, "Networks": true, "Containers": true, "Ports": true,
	"ExposedPorts": true, "Volumes": true, "DriverOpts": true, "Runtimes": true,
	"IndexConfigs": true, "Status": true, "Sysctls": true, "StorageOpt": true, "Annotations": true,
}

// shape maps each path of a JSON document to the kind of its value
// (object, array, null, string, number, bool). Array elements are one path,
// "[]", whose shape is the union of its elements'.
func shape(v any, path string, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		out[path] = "object"
		last := path[strings.LastIndexAny(path, ".")+1:]
		for k, e := range x {
			if dataMaps[last] {
				k = "*"
			}
			shape(e, path+"."+k, out)
		}
	case []any:
		out[path] = "array"
		for _, e := range x {
			shape(e, path+".[]", out)
		}
	case nil:
		out[path] = "null"
	case string:
		out[path] = "string"
	case float64:
		out[path] = "number"
	case bool:
		out[path] = "bool"
	}
}

// shapeAllowed lists, per recording, the differences that are by API
// version or by design, each with its reason. A path here may be missing
// from tugd's answer, extra in it, or of another kind; "prefix.*" covers
// prefix and everything below it.
var shapeAllowed = map[string]map[string]string{
	"*": {
		// Keys later API versions added, which moby also sends to older
		// clients: extra keys, harmless to them.
		".NetworkSettings.Networks.*.DNSNames":                 "API 1.44",
		".NetworkSettings.Networks.*.DNSNames.[]":              "API 1.44",
		".NetworkSettings.Networks.*.GwPriority":               "API 1.48",
		".[].NetworkSettings.Networks.*.DNSNames.*":            "API 1.44",
		".[].NetworkSettings.Networks.*.GwPriority":            "API 1.48",
		".Containers.[].NetworkSettings.Networks.*.DNSNames.*": "API 1.44",
		".Containers.[].NetworkSettings.Networks.*.GwPriority": "API 1.48",
		".EnableIPv4":    "API 1.47",
		".[].EnableIPv4": "API 1.47",
		".CDISpecDirs":   "API 1.46",
	},
	"image-inspect": {
		// tug's image layers are read-only snapshots: there is no merged
		// or work dir to name (UpperDir and LowerDir are given).
		".GraphDriver.Data.MergedDir": "no merged dir",
		".GraphDriver.Data.WorkDir":   "no work dir",
	},
	"network-list": {
		// Docker 20.10 sent an empty Containers object in the list; the
		// list has never filled it, and moby's Summary type dropped it.
		".[].Containers": "always empty in a list",
	},
	"info": {
		// Deprecated in 1.48, omitted from 1.50: tug filters bridged
		// traffic with nftables on the bridge, not through br_netfilter,
		// so it has no bridge-nf-call setting to report.
		".BridgeNfIptables":  "no br_netfilter",
		".BridgeNfIp6tables": "no br_netfilter",
		// tug says what this host cannot do (no blkio weight, ...);
		// Docker 20.10 on the same host said nothing: [] vs null.
		".Warnings": "host warnings",
	},
	"version": {
		// moby omits these when empty; tugd fills them from the Go VCS
		// stamp, which a test build may not carry.
		".GitCommit":                       "no VCS stamp",
		".BuildTime":                       "no VCS stamp",
		".Components.[].Details.GitCommit": "no VCS stamp",
		".Components.[].Details.BuildTime": "no VCS stamp",
	},
}

// shapeCases are the answers compared: the recording and the request.
func shapeCases(ids map[string]string) []struct{ file, path string } {
	q := func(key, val string) string {
		return url.QueryEscape(fmt.Sprintf(`{%q:[%q]}`, key, val))
	}
	return []struct{ file, path string }{
		{"container-inspect", "/containers/conform-rec-c/json"},
		{"container-list", "/containers/json?all=1&size=1&filters=" + q("name", "conform-rec-c")},
		{"image-inspect", "/images/conform-rec-img/json"},
		{"image-list", "/images/json?filters=" + q("reference", "conform-rec-img")},
		{"network-inspect", "/networks/conform-rec-net"},
		{"network-list", "/networks?filters=" + q("name", "conform-rec-net")},
		{"volume-inspect", "/volumes/conform-rec-vol"},
		{"volume-list", "/volumes?filters=" + q("name", "conform-rec-vol")},
		{"exec-inspect", "/exec/" + ids["exec"] + "/json"},
		{"info", "/info"},
		{"version", "/version"},
		{"system-df", "/system/df"},
	}
}

// TestJSONShapesAreDockers compares the shapes (every key, recursively,
// and the kind of its value: Docker's {} / [] / null / "") of tugd's
// answers with Docker 20.10's for the same objects, recorded by
// testdata/docker-20.10/record.sh.
func TestJSONShapesAreDockers(t *testing.T) {
	d := testutil.StartDaemon(t)
	ctx := t.Context()
	tarball := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(tarball, testutil.BusyboxTar(t), 0o644); err != nil {
		t.Fatal(err)
	}
	// The docker CLI makes the objects, as record.sh does: what a client
	// sends (its [] and {}) is part of what inspect shows.
	for _, args := range [][]string{
		{"import", "-c", `CMD ["sh"]`, tarball, "conform-rec-img"},
		{"network", "create", "conform-rec-net"},
		{"volume", "create", "conform-rec-vol"},
		{"run", "-d", "--name", "conform-rec-c", "--network", "conform-rec-net", "-v", "conform-rec-vol:/data", "conform-rec-img", "sleep", "1000"},
	} {
		if r := d.Docker(args...); r.ExitCode != 0 {
			t.Fatalf("docker %s: %s", strings.Join(args, " "), r)
		}
	}
	ex, err := d.Client.ExecCreate(ctx, "conform-rec-c", client.ExecCreateOptions{Cmd: []string{"true"}, AttachStdout: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Tug("rm", "-f", "conform-rec-c") })
	hc := unixClient(d.Socket)
	for _, c := range shapeCases(map[string]string{"exec": ex.ID}) {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "docker-20.10", c.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var docker any
			if err := json.Unmarshal(b, &docker); err != nil {
				t.Fatal(err)
			}
			resp, err := hc.Get("http://tug/v" + shapesVersion + c.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", c.path, resp.StatusCode, body)
			}
			if dir := os.Getenv("TUG_SHAPES_DUMP"); dir != "" { // to look at tugd's answers
				_ = os.WriteFile(filepath.Join(dir, c.file+".json"), body, 0o644)
			}
			var tug any
			if err := json.Unmarshal(body, &tug); err != nil {
				t.Fatal(err)
			}
			want, got := map[string]string{}, map[string]string{}
			shape(docker, "", want)
			shape(tug, "", got)
			for _, diff := range shapeDiff(want, got) {
				if reason := allowed(c.file, diff.path); reason == "" {
					t.Errorf("%s: %s", c.file, diff)
				}
			}
		})
	}
}

type shapeDifference struct{ path, docker, tug string }

func (d shapeDifference) String() string {
	switch {
	case d.tug == "":
		return fmt.Sprintf("%s: missing (Docker: %s)", d.path, d.docker)
	case d.docker == "":
		return fmt.Sprintf("%s: not in Docker's answer (tug: %s)", d.path, d.tug)
	}
	return fmt.Sprintf("%s: %s, Docker's is %s", d.path, d.tug, d.docker)
}

// shapeDiff lists the paths whose presence or kind differ. Below an empty
// array or a null on one side there is nothing to compare.
func shapeDiff(docker, tug map[string]string) []shapeDifference {
	paths := map[string]bool{}
	for p := range docker {
		paths[p] = true
	}
	for p := range tug {
		paths[p] = true
	}
	var out []shapeDifference
	for p := range paths {
		dk, tk := docker[p], tug[p]
		if dk == tk || underEmpty(p, docker) || underEmpty(p, tug) {
			continue
		}
		out = append(out, shapeDifference{p, dk, tk})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// underEmpty reports whether a parent of p is absent, or an array without
// elements, in s (its children are then unknown, not different).
func underEmpty(p string, s map[string]string) bool {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] != '.' {
			continue
		}
		parent := p[:i]
		k, ok := s[parent]
		if !ok {
			continue
		}
		if k == "array" {
			_, has := s[parent+".[]"]
			return !has
		}
		return k == "null"
	}
	return false
}

// allowed returns the reason a difference at path is expected, "" if none.
func allowed(file, path string) string {
	for _, m := range []map[string]string{shapeAllowed[file], shapeAllowed["*"]} {
		if r, ok := m[path]; ok {
			return r
		}
		for k, r := range m {
			if base, ok := strings.CutSuffix(k, ".*"); ok && (path == base || strings.HasPrefix(path, base+".")) {
				return r
			}
		}
	}
	return ""
}
