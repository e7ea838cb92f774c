package daemon

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// restartWithConfig restarts d with daemon.json body.
func restartWithConfig(t *testing.T, d *testutil.Daemon, body string) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Kill()
	d.Args = []string{"--config-file", cfg}
	d.Start()
}

// TestDNSFromDaemonJSON: daemon.json dns, dns-search and dns-opts are what
// containers (on the default bridge and on user networks, through the
// embedded resolver) and build steps get where they name none of their
// own; inspect keeps showing the container's own (none), as Docker's.
func TestDNSFromDaemonJSON(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	restartWithConfig(t, d, `{"dns": ["127.0.0.1"], "dns-search": ["conform.test"], "dns-opts": ["timeout:3"]}`)

	r := d.Tug("run", "--name", "plain", "busybox", "cat", "/etc/resolv.conf")
	for _, want := range []string{"nameserver 127.0.0.1", "search conform.test", "options timeout:3"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("default bridge resolv.conf = %q, want %q", r.Stdout, want)
		}
	}
	if got := strings.TrimSpace(d.Tug("inspect", "--format", "{{len .HostConfig.Dns}}", "plain").Stdout); got != "0" {
		t.Errorf("HostConfig.Dns of a container naming none = %s entries, want 0 (the daemon's are not recorded)", got)
	}
	r = d.Tug("run", "--rm", "--dns", "127.0.0.2", "busybox", "cat", "/etc/resolv.conf")
	if !strings.Contains(r.Stdout, "nameserver 127.0.0.2") || strings.Contains(r.Stdout, "127.0.0.1") || !strings.Contains(r.Stdout, "search conform.test") {
		t.Errorf("resolv.conf with --dns = %q, want the container's server and the daemon's search", r.Stdout)
	}
	if r := d.Tug("network", "create", "dnsnet"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	r = d.Tug("run", "--rm", "--network", "dnsnet", "busybox", "cat", "/etc/resolv.conf")
	if !strings.Contains(r.Stdout, "nameserver 127.0.0.11") || !strings.Contains(r.Stdout, "search conform.test") || !strings.Contains(r.Stdout, "timeout:3") {
		t.Errorf("user network resolv.conf = %q, want the embedded resolver with the daemon's search and options", r.Stdout)
	}

	ctxDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM busybox\nRUN cat /etc/resolv.conf\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = d.Tug("build", "--progress", "plain", "--no-cache", ctxDir)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout+r.Stderr, "nameserver 127.0.0.1") || !strings.Contains(r.Stdout+r.Stderr, "search conform.test") {
		t.Errorf("build step resolv.conf: %s\nwant the daemon's dns and dns-search", r)
	}
	d.Tug("network", "rm", "dnsnet")
}

// TestDefaultUlimitsFromDaemonJSON: daemon.json default-ulimits are the
// rlimits of containers (which can override them by name) and build steps.
func TestDefaultUlimitsFromDaemonJSON(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	restartWithConfig(t, d, `{"default-ulimits": {"nofile": {"Name": "nofile", "Soft": 1000, "Hard": 2000}}}`)

	if r := d.Tug("run", "--rm", "busybox", "sh", "-c", "ulimit -Sn; ulimit -Hn"); r.Stdout != "1000\n2000\n" {
		t.Errorf("nofile with default-ulimits: %s\nwant 1000 and 2000", r)
	}
	if r := d.Tug("run", "--rm", "--ulimit", "nofile=500:600", "busybox", "sh", "-c", "ulimit -Sn; ulimit -Hn"); r.Stdout != "500\n600\n" {
		t.Errorf("nofile with --ulimit over default-ulimits: %s\nwant 500 and 600", r)
	}
	ctxDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM busybox\nRUN echo nofile=$(ulimit -Sn)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := d.Tug("build", "--progress", "plain", "--no-cache", ctxDir); r.ExitCode != 0 || !strings.Contains(r.Stdout+r.Stderr, "nofile=1000") {
		t.Errorf("build step nofile: %s\nwant nofile=1000", r)
	}
}

// TestLabelsAndLogDriverFromDaemonJSON: daemon.json labels are shown by
// info; log-driver is every container's driver unless it names its own
// (none: no log kept, `logs` answers Docker's error).
func TestLabelsAndLogDriverFromDaemonJSON(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	restartWithConfig(t, d, `{"labels": ["conform=yes", "tier=test"], "log-driver": "none"}`)

	for _, c := range d.CLIs() {
		r := c.Run("", "info", "--format", "{{.Labels}} {{.LoggingDriver}}")
		if strings.TrimSpace(r.Stdout) != "[conform=yes tier=test] none" {
			t.Errorf("%s info: %s\nwant the labels and the none driver", c.Name, r)
		}
	}
	if r := d.Tug("run", "--name", "quiet", "busybox", "echo", "hi"); r.Stdout != "hi\n" {
		t.Errorf("run with the none driver: %s\nwant its output on the attached stream", r)
	}
	if got := strings.TrimSpace(d.Tug("inspect", "--format", "{{.HostConfig.LogConfig.Type}}", "quiet").Stdout); got != "none" {
		t.Errorf("LogConfig.Type = %q, want none (the daemon's)", got)
	}
	if r := d.Tug("run", "--name", "loud", "--log-driver", "json-file", "busybox", "echo", "kept"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("logs", "loud"); r.Stdout != "kept\n" {
		t.Errorf("logs of a json-file container on a none daemon: %s", r)
	}
}

// TestDaemonJSONSettingsTugCannotHonourStopIt: a log driver tug does not
// have, options for the none driver, a bad dns address or ulimit stop tugd
// with an error naming the key.
func TestDaemonJSONSettingsTugCannotHonourStopIt(t *testing.T) {
	testutil.RequiresRoot(t)
	bin := testutil.Binaries(t)
	dir := t.TempDir()
	run, err := os.MkdirTemp("", "tugcfg")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(run)
	for body, want := range map[string]string{
		`{"log-driver": "local"}`:                                "log-driver: logger: the local log driver is not supported by tug",
		`{"log-driver": "syslog"}`:                               "log-driver: logger: no log driver named 'syslog' is registered",
		`{"log-driver": "none", "log-opts": {"max-size": "1m"}}`: "log-opts: log opt 'max-size': the none log driver keeps no log",
		`{"dns": ["not-an-ip"]}`:                                 "dns: \"not-an-ip\" is not an IP address",
		`{"labels": ["novalue"]}`:                                "labels: invalid label 'novalue'",
		`{"default-ulimits": {"nofile": {"Name": "nofile", "Soft": 10, "Hard": 5}}}`: "default-ulimits: ulimit soft limit must be less than or equal to hard limit",
		`{"max-concurrent-downloads": 0}`:                                            "max-concurrent-downloads: must be at least 1",
	} {
		cfg := filepath.Join(dir, "daemon.json")
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		// A tugd that starts is killed after a while (and the case fails).
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		out, err := exec.CommandContext(ctx, filepath.Join(bin, "tugd"), "--config-file", cfg, "-H", "unix://"+filepath.Join(run, "t.sock"),
			"--data-root", filepath.Join(dir, "root"), "--exec-root", filepath.Join(run, "exec")).CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("tugd with %s = %q, %v; want it to stop saying %q", body, out, err, want)
		}
	}
}
