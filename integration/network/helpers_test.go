package network

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
	"github.com/tug-project/tug/internal/network/portmap"
	"github.com/tug-project/tug/internal/testutil"
)

// netDaemon is a test daemon plus the names of its kernel objects.
type netDaemon struct {
	*testutil.Daemon
	t      *testing.T
	bridge string // default bridge interface
	table  string // nftables table
}

// startDaemon starts tugd with the busybox image as "bb" and, after the
// daemon has stopped, checks that no link, rule, namespace or address of
// it is left.
func startDaemon(t *testing.T) *netDaemon {
	t.Helper()
	nd := &netDaemon{t: t}
	// Registered before StartDaemon's cleanup, so it runs after it.
	t.Cleanup(func() {
		if nd.Daemon == nil {
			return
		}
		if bridge.Exists(nd.bridge) {
			t.Errorf("bridge %s left after the daemon stopped", nd.bridge)
		}
		if rules, _ := portmap.Rules(nd.table); rules != nil {
			t.Errorf("nftables table %s left after the daemon stopped: %v", nd.table, rules)
		}
	})
	d := testutil.StartDaemon(t)
	nd.Daemon = d
	nd.table, nd.bridge = tugnet.KernelNames(d.ExecRoot)
	d.ImportBusybox("bb")
	return nd
}

// tug runs the CLI and fails the test unless it exits 0.
func (d *netDaemon) tug(args ...string) string {
	d.t.Helper()
	r := d.Tug(args...)
	if r.ExitCode != 0 {
		d.t.Fatalf("tug %s: %s", strings.Join(args, " "), r)
	}
	return strings.TrimSpace(r.Stdout)
}

// checkNoLeaks asserts that nothing of the containers is left while the
// daemon runs: no veth on its bridges, no DNAT rule, no namespace, no
// address held.
func (d *netDaemon) checkNoLeaks() {
	d.t.Helper()
	var state struct {
		Networks map[string]struct {
			Bridge string `json:"bridge"`
		} `json:"networks"`
		Sandboxes map[string]struct {
			NetNS     string `json:"netns"`
			Endpoints []struct {
				IP string `json:"ip"`
			} `json:"endpoints"`
		} `json:"sandboxes"`
	}
	// The runtime state (the whole of it: addresses and namespaces are
	// not in the durable file under the data root).
	b, err := os.ReadFile(filepath.Join(d.ExecRoot, "network", "state.json"))
	if err != nil {
		d.t.Fatal(err)
	}
	if err := json.Unmarshal(b, &state); err != nil {
		d.t.Fatal(err)
	}
	for id, s := range state.Sandboxes {
		if s.NetNS != "" {
			d.t.Errorf("sandbox %s still has namespace %s", id, s.NetNS)
		}
		for _, e := range s.Endpoints {
			if e.IP != "" {
				d.t.Errorf("sandbox %s still holds address %s", id, e.IP)
			}
		}
	}
	for _, n := range state.Networks {
		if n.Bridge == "" {
			continue
		}
		// Veths go asynchronously once their namespace is gone.
		var veths []string
		if !testutil.WaitFor(5*time.Second, func() bool { veths = bridgeVeths(n.Bridge); return len(veths) == 0 }) {
			d.t.Errorf("veths left on %s: %v", n.Bridge, veths)
		}
	}
	rules, err := portmap.Rules(d.table)
	if err != nil {
		d.t.Fatal(err)
	}
	for _, chain := range []string{"prerouting", "output"} {
		if rules[chain] != 0 {
			d.t.Errorf("%d DNAT rules left in %s/%s", rules[chain], d.table, chain)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(d.ExecRoot, "netns")); len(ents) > 0 {
		d.t.Errorf("network namespaces left: %d", len(ents))
	}
}

// httpGet fetches url, retrying for a while (the server in the container
// may still be starting), and returns the body.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	cl := &http.Client{Timeout: 2 * time.Second}
	var body string
	var last error
	ok := func() bool {
		resp, err := cl.Get(url)
		if err != nil {
			last = err
			return false
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK {
			body = string(b)
			return true
		}
		last = fmt.Errorf("status %d, %v", resp.StatusCode, err)
		return false
	}
	if !testutil.WaitFor(15*time.Second, ok) {
		t.Fatalf("GET %s: %v", url, last)
	}
	return body
}

// webImage runs busybox httpd serving "hello" from /www.
var httpdCmd = []string{"sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www"}

func bridgeVeths(name string) []string {
	v, _ := bridge.Veths(name)
	return v
}

// importWithTool imports the busybox image plus a static Go program built
// from pkg at /bin/name, as image ref.
func (d *netDaemon) importWithTool(ref, name, pkg string) {
	d.t.Helper()
	dir := d.t.TempDir()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		d.t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	body, err := os.ReadFile(bin)
	if err != nil {
		d.t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(bytes.NewReader(testutil.BusyboxTar(d.t)))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			d.t.Fatal(err)
		}
		if err := tw.WriteHeader(h); err != nil {
			d.t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			d.t.Fatal(err)
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/" + name, Mode: 0o755, Size: int64(len(body))}); err != nil {
		d.t.Fatal(err)
	}
	_, _ = tw.Write(body)
	if err := tw.Close(); err != nil {
		d.t.Fatal(err)
	}
	f := filepath.Join(dir, "rootfs.tar")
	if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
		d.t.Fatal(err)
	}
	d.tug("import", f, ref)
}
