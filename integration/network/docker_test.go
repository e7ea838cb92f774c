package network

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// The main scenarios through the stock docker CLI.
func TestDockerCLI(t *testing.T) {
	d := startDaemon(t)
	docker := func(args ...string) string {
		t.Helper()
		r := d.Docker(args...)
		if r.ExitCode != 0 {
			t.Fatalf("docker %s: %s", strings.Join(args, " "), r)
		}
		return strings.TrimSpace(r.Stdout)
	}
	hp := testutil.FreePort(t, "tcp")
	docker(append([]string{"run", "-d", "--name", "web", "-p", fmt.Sprintf("%d:80", hp), "bb"}, httpdCmd...)...)
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", hp)); got != "hello\n" {
		t.Errorf("published port: body %q", got)
	}
	if got := docker("port", "web"); !strings.Contains(got, fmt.Sprintf("80/tcp -> 0.0.0.0:%d", hp)) {
		t.Errorf("docker port = %q", got)
	}
	if got := docker("ps", "--format", "{{.Ports}}"); got != fmt.Sprintf("0.0.0.0:%d->80/tcp", hp) {
		t.Errorf("docker ps Ports = %q", got)
	}
	if got := docker("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "web"); !strings.HasPrefix(got, "172.30.") {
		t.Errorf("docker inspect IPAddress = %q", got)
	}
	r := d.Docker("run", "--rm", "-p", fmt.Sprintf("%d:80", hp), "bb", "true")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "port is already allocated") {
		t.Errorf("docker run with a taken port: %s", r)
	}

	docker("network", "create", "dnet")
	t.Cleanup(func() { d.Docker("network", "rm", "dnet") })
	if got := docker("network", "ls", "--format", "{{.Name}} {{.Driver}}"); !strings.Contains(got, "dnet bridge") || !strings.Contains(got, "bridge bridge") {
		t.Errorf("docker network ls = %q", got)
	}
	docker("run", "-d", "--name", "srv", "--network", "dnet", "--network-alias", "svc", "bb", "sleep", "60")
	out := docker("run", "--rm", "--network", "dnet", "--dns", "127.0.0.1", "bb", "sh", "-c", "nslookup srv && ping -c1 -W5 svc")
	if !strings.Contains(out, "Name:\tsrv") || !strings.Contains(out, "1 packets received") {
		t.Errorf("name resolution through docker run: %s", out)
	}
	if got := docker("network", "inspect", "-f", "{{len .Containers}}", "dnet"); got != "1" {
		t.Errorf("docker network inspect containers = %q", got)
	}
	docker("network", "connect", "bridge", "srv")
	docker("network", "disconnect", "bridge", "srv")
	docker("rm", "-f", "web", "srv")
	docker("network", "rm", "dnet")
	d.checkNoLeaks()
}
