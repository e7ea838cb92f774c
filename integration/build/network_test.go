package build

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tugnet "github.com/tug-project/tug/internal/network"
	"github.com/tug-project/tug/internal/network/bridge"
	"github.com/tug-project/tug/internal/network/portmap"
	"github.com/tug-project/tug/internal/testutil"
)

// RUN steps are on the default bridge unless --network says otherwise:
// an address in the bridge's subnet, a default route via its gateway,
// hosts and resolv.conf as a container's, and the host reachable at the
// gateway. Nothing of the step's sandbox is left afterwards.
func TestRunNetwork(t *testing.T) {
	d := startNetDaemon(t)
	subnet, gw := d.networkAddrs("bridge")
	before := d.netState()

	// A server on the host, on the bridge's gateway address only.
	l, err := net.Listen("tcp4", net.JoinHostPort(gw.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello from the host")
	})}
	go srv.Serve(l)
	defer srv.Close()

	dir := writeContext(t, map[string]string{
		"Dockerfile": fmt.Sprintf(`FROM busybox
RUN ip -4 addr show eth0 > /addr.txt; ip route > /route.txt; hostname > /hostname.txt; cp /etc/hosts /hosts.txt; cp /etc/resolv.conf /resolv.txt
RUN timeout 20 wget -q -O /got.txt http://%s/
`, l.Addr()),
	})
	for _, network := range []string{"", "default", "bridge"} {
		t.Run("network="+network, func(t *testing.T) {
			args := []string{"--no-cache", "-t", "netimg"}
			if network != "" {
				args = append(args, "--network", network)
			}
			build(t, d.Daemon, append(args, dir)...)
			files := d.imageFiles("netimg", "/addr.txt", "/route.txt", "/hostname.txt", "/hosts.txt", "/resolv.txt", "/got.txt")
			m := regexp.MustCompile(`inet (\S+)/(\d+)`).FindStringSubmatch(files["/addr.txt"])
			if m == nil {
				t.Fatalf("no IPv4 address on eth0: %q", files["/addr.txt"])
			}
			ip, err := netip.ParseAddr(m[1])
			if err != nil || !subnet.Contains(ip) || m[2] != fmt.Sprint(subnet.Bits()) {
				t.Errorf("eth0 address %s/%s, want one in %s", m[1], m[2], subnet)
			}
			if want := "default via " + gw.String(); !strings.Contains(files["/route.txt"], want) {
				t.Errorf("routes %q lack %q", files["/route.txt"], want)
			}
			hostname := strings.TrimSpace(files["/hostname.txt"])
			if want := ip.String() + "\t" + hostname + "\n"; !strings.Contains(files["/hosts.txt"], want) || !strings.Contains(files["/hosts.txt"], "127.0.0.1\tlocalhost") {
				t.Errorf("/etc/hosts %q lacks %q and localhost", files["/hosts.txt"], want)
			}
			if !strings.Contains(files["/resolv.txt"], "nameserver ") || strings.Contains(files["/resolv.txt"], "127.0.0.") {
				t.Errorf("/etc/resolv.conf %q: want the host's non-loopback nameservers or the defaults", files["/resolv.txt"])
			}
			if files["/got.txt"] != "hello from the host" {
				t.Errorf("RUN fetched %q from the gateway, want the host's answer", files["/got.txt"])
			}
			d.checkNoBuildNetwork(before)
		})
	}
	checkNoContainers(t, d.Daemon)
}

// --network none gives loopback only; the network mode is not part of the
// cache key (as in Docker's classic builder).
func TestRunNetworkNone(t *testing.T) {
	d := startNetDaemon(t)
	before := d.netState()
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN ip -o link | cut -d: -f2 | tr -d ' ' > /links.txt; ip -4 -o addr > /addrs.txt\n",
	})
	r := build(t, d.Daemon, "--network", "none", "-t", "none:1", dir)
	id := builtID(t, r.Stdout)
	files := d.imageFiles("none:1", "/links.txt", "/addrs.txt")
	if links := strings.Fields(files["/links.txt"]); !slices.Contains(links, "lo") || slices.ContainsFunc(links, func(l string) bool { return strings.HasPrefix(l, "eth") }) {
		t.Errorf("links with --network none = %q, want lo only", files["/links.txt"])
	}
	if !strings.Contains(files["/addrs.txt"], "127.0.0.1") || strings.Count(files["/addrs.txt"], "\n") != 1 {
		t.Errorf("addresses with --network none = %q, want loopback only", files["/addrs.txt"])
	}
	d.checkNoBuildNetwork(before)
	for _, network := range []string{"default", "host"} {
		r := build(t, d.Daemon, "--network", network, dir)
		if got := builtID(t, r.Stdout); got != id || !strings.Contains(r.Stdout, "Using cache") {
			t.Errorf("rebuild with --network %s = %s, want %s from the cache:\n%s", network, got, id, r.Stdout)
		}
	}
	checkNoContainers(t, d.Daemon)
}

// A user network by name (with the embedded resolver, as a container on
// it), a running container's network, and Docker's error for an unknown
// network.
func TestRunNetworkNamed(t *testing.T) {
	d := startNetDaemon(t)
	d.tug("network", "create", "--subnet", "172.30.240.0/24", "buildnet")
	subnet, _ := d.networkAddrs("buildnet")
	before := d.netState()
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN ip -4 addr show eth0 > /addr.txt; cp /etc/resolv.conf /resolv.txt\n",
	})
	build(t, d.Daemon, "--network", "buildnet", "-t", "user:1", dir)
	files := d.imageFiles("user:1", "/addr.txt", "/resolv.txt")
	if m := regexp.MustCompile(`inet (\S+)/`).FindStringSubmatch(files["/addr.txt"]); m == nil || !subnet.Contains(netip.MustParseAddr(m[1])) {
		t.Errorf("eth0 on buildnet: %q, want an address in %s", files["/addr.txt"], subnet)
	}
	if !strings.Contains(files["/resolv.txt"], "nameserver 127.0.0.11") {
		t.Errorf("resolv.conf on buildnet: %q, want the embedded resolver", files["/resolv.txt"])
	}
	d.checkNoBuildNetwork(before)

	// container:<name> joins a running container's namespace.
	d.tug("run", "-d", "--name", "peer", "--network", "buildnet", "busybox", "sleep", "300")
	peerIP := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.buildnet.IPAddress}}", "peer")
	build(t, d.Daemon, "--no-cache", "--network", "container:peer", "-t", "user:2", dir)
	if got := d.imageFiles("user:2", "/addr.txt")["/addr.txt"]; !strings.Contains(got, "inet "+peerIP+"/") {
		t.Errorf("eth0 with --network container:peer: %q, want the peer's %s", got, peerIP)
	}
	d.tug("rm", "-f", "peer")
	d.tug("network", "rm", "buildnet")
	before = d.netState() // buildnet's rules are gone with it

	for _, network := range []string{"nosuchnet", "container:nosuchctr"} {
		r := d.Tug("build", "--no-cache", "--network", network, dir)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "No such container: nosuchctr") && !strings.Contains(r.Stderr, "network nosuchnet not found") {
			t.Errorf("build --network %s: %s, want Docker's not-found error", network, r)
		}
	}
	d.checkNoBuildNetwork(before)
	checkNoContainers(t, d.Daemon)
}

// A failing step and a client hang-up leave no sandbox behind; so does
// the docker CLI's classic builder path.
func TestRunNetworkCleanup(t *testing.T) {
	d := startNetDaemon(t)
	subnet, _ := d.networkAddrs("bridge")
	onBridge := func(out string) bool {
		m := regexp.MustCompile(`inet (\S+)/`).FindStringSubmatch(out)
		return m != nil && subnet.Contains(netip.MustParseAddr(m[1]))
	}
	before := d.netState()
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN ip -4 addr show eth0 && exit 3\n"})
	if r := d.Tug("build", dir); r.ExitCode != 3 || !onBridge(r.Stdout) {
		t.Errorf("failing RUN on the bridge: %s", r)
	}
	d.checkNoBuildNetwork(before)

	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN ip -4 addr show eth0; sleep 60\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(d.Bin, "tug"), "-H", d.Host, "build", dir)
	var out testutil.SafeBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !testutil.WaitFor(60*time.Second, func() bool { return onBridge(out.String()) }) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the RUN step did not start on the bridge: %s", out.String())
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	testutil.Eventually(t, 30*time.Second, func() bool {
		entries, _ := os.ReadDir(filepath.Join(d.Root, "builder", "run"))
		return len(entries) == 0
	})
	d.checkNoBuildNetwork(before)

	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN if ip -o link | grep -q eth0; then echo has-eth0; else echo no-eth0; fi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, network := range []string{"default", "none"} {
		r := d.Docker("build", "--no-cache", "--network", network, dir)
		want := map[string]string{"default": "has-eth0", "none": "no-eth0"}[network]
		if r.ExitCode != 0 || !regexp.MustCompile(`(?m)^`+want+`$`).MatchString(r.Stdout) {
			t.Errorf("docker build --network %s: %s", network, r)
		}
	}
	if r := d.Docker("build", "--no-cache", "--network", "nosuchnet", dir); r.ExitCode == 0 || !strings.Contains(r.Stderr, "network nosuchnet not found") {
		t.Errorf("docker build --network nosuchnet: %s", r)
	}
	d.checkNoBuildNetwork(before)
	checkNoContainers(t, d.Daemon)
}

// A daemon killed mid-step drops the step's sandbox when it comes back.
func TestRunNetworkDaemonCrash(t *testing.T) {
	d := startNetDaemon(t)
	subnet, _ := d.networkAddrs("bridge")
	before := d.netState()
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN ip -4 addr show eth0; sleep 60\n"})
	cmd := exec.Command(filepath.Join(d.Bin, "tug"), "-H", d.Host, "build", dir)
	var out testutil.SafeBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`inet (\S+)/`)
	if !testutil.WaitFor(60*time.Second, func() bool { return re.FindStringSubmatch(out.String()) != nil }) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the RUN step did not start: %s", out.String())
	}
	if ip := re.FindStringSubmatch(out.String())[1]; !subnet.Contains(netip.MustParseAddr(ip)) {
		t.Errorf("RUN step address %s, want one in %s", ip, subnet)
	}
	d.Kill()
	cmd.Wait()
	d.Start()
	d.checkNoBuildNetwork(before)
	// The next build clears the orphaned step's shim and run directory.
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build(t, d.Daemon, dir)
	d.checkNoBuildNetwork(before)
	checkNoContainers(t, d.Daemon)
}

// netDaemon is a test daemon with busybox and the names of its bridge and
// nftables table (as tugd derives them from its exec root).
type netDaemon struct {
	*testutil.Daemon
	t      *testing.T
	bridge string
	table  string
}

// startNetDaemon starts tugd with busybox as "busybox" and, once it has
// stopped, checks that its bridge and table are gone.
func startNetDaemon(t *testing.T) *netDaemon {
	t.Helper()
	testutil.RequiresRoot(t)
	nd := &netDaemon{t: t}
	t.Cleanup(func() { // registered first: runs after the daemon stopped
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
	d.ImportBusybox("busybox")
	return nd
}

func (d *netDaemon) tug(args ...string) string {
	d.t.Helper()
	r := d.Tug(args...)
	if r.ExitCode != 0 {
		d.t.Fatalf("tug %s: %s", strings.Join(args, " "), r)
	}
	return strings.TrimSpace(r.Stdout)
}

// networkAddrs returns a network's subnet and gateway, from inspect.
func (d *netDaemon) networkAddrs(name string) (netip.Prefix, netip.Addr) {
	d.t.Helper()
	out := d.tug("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}", name)
	f := strings.Fields(out)
	if len(f) != 2 {
		d.t.Fatalf("network inspect %s: %q, want subnet and gateway", name, out)
	}
	return netip.MustParsePrefix(f[0]), netip.MustParseAddr(f[1])
}

// imageFiles returns the contents of files in image ref, read by a
// container without networking.
func (d *netDaemon) imageFiles(ref string, paths ...string) map[string]string {
	d.t.Helper()
	out := map[string]string{}
	for _, p := range paths {
		r := d.Tug("run", "--rm", "--network", "none", ref, "cat", p)
		if r.ExitCode != 0 {
			d.t.Fatalf("cat %s in %s: %s", p, ref, r)
		}
		out[p] = r.Stdout
	}
	return out
}

// netSnapshot is what a leak check compares: the sandboxes of the network
// state (those of build steps must be gone) and the rule counts of tug's
// nftables table.
type netSnapshot struct {
	Sandboxes []string
	Rules     map[string]int
}

func (d *netDaemon) netState() netSnapshot {
	d.t.Helper()
	var st struct {
		Sandboxes map[string]json.RawMessage `json:"sandboxes"`
	}
	// The runtime state holds every sandbox; the durable file under the
	// data root only those that cannot be derived again.
	b, err := os.ReadFile(filepath.Join(d.ExecRoot, "network", "state.json"))
	if err != nil {
		d.t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		d.t.Fatal(err)
	}
	var snap netSnapshot
	for id := range st.Sandboxes {
		snap.Sandboxes = append(snap.Sandboxes, id)
	}
	if snap.Rules, err = portmap.Rules(d.table); err != nil {
		d.t.Fatal(err)
	}
	return snap
}

// checkNoBuildNetwork fails unless nothing of build steps' networking is
// left: no sandbox (address) in the state, no rule, no namespace mount, no
// veth on any bridge of the daemon.
func (d *netDaemon) checkNoBuildNetwork(before netSnapshot) {
	d.t.Helper()
	if diff := cmp.Diff(before, d.netState()); diff != "" {
		d.t.Errorf("network state or rules changed by builds (-before +after):\n%s", diff)
	}
	if ents, _ := os.ReadDir(filepath.Join(d.ExecRoot, "netns")); len(ents) > 0 {
		d.t.Errorf("network namespaces left: %d", len(ents))
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil && bytes.Contains(b, []byte(filepath.Join(d.ExecRoot, "netns"))) {
		d.t.Errorf("network namespace mounts left under %s", filepath.Join(d.ExecRoot, "netns"))
	}
	var st struct {
		Networks map[string]struct {
			Bridge string `json:"bridge"`
		} `json:"networks"`
	}
	b, err := os.ReadFile(filepath.Join(d.Root, "network", "state.json"))
	if err != nil {
		d.t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		d.t.Fatal(err)
	}
	for _, nw := range st.Networks {
		br := nw.Bridge
		if br == "" {
			continue
		}
		// Veths go asynchronously once their namespace is gone.
		var veths []string
		if !testutil.WaitFor(10*time.Second, func() bool { veths, _ = bridge.Veths(br); return len(veths) == 0 }) {
			d.t.Errorf("veths left on %s: %v", br, veths)
		}
	}
}
