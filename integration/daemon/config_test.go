package daemon

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// TestConfigFile: daemon.json sets the socket and the roots; flags win
// over it; a malformed file stops tugd with an error naming it.
func TestConfigFile(t *testing.T) {
	testutil.RequiresRoot(t)
	bin := testutil.Binaries(t)
	dir := t.TempDir()
	run, err := os.MkdirTemp("", "tugcfg")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(run)
	sock := filepath.Join(run, "tug.sock")
	cfg := filepath.Join(dir, "daemon.json")
	body := fmt.Sprintf(`{"hosts": ["unix://%s"], "data-root": %q, "exec-root": %q, "debug": true}`,
		sock, filepath.Join(dir, "root"), filepath.Join(run, "exec"))
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var log testutil.SafeBuffer
	cmd := exec.Command(filepath.Join(bin, "tugd"), "--config-file", cfg)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	listens := func() bool {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	if !testutil.WaitFor(10*time.Second, listens) {
		t.Fatalf("tugd did not listen on the configured socket:\n%s", log.String())
	}
	out, err := exec.Command(filepath.Join(bin, "tug"), "-H", "unix://"+sock, "info", "--format", "{{.DockerRootDir}} {{.Debug}}").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != filepath.Join(dir, "root")+" true" {
		t.Errorf("info = %q, %v; want the configured data root and debug on", out, err)
	}
	if _, err := os.Stat(filepath.Join(run, "exec")); err != nil {
		t.Errorf("configured exec root not used: %v", err)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"data-root": `), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(filepath.Join(bin, "tugd"), "--config-file", bad, "-H", "unix://"+filepath.Join(run, "bad.sock")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), bad) {
		t.Errorf("tugd with a malformed config = %q, %v; want an error naming %s", out, err, bad)
	}

	// A key tugd does not read (one of Docker's it does not implement, or a
	// misspelt one) stops it with their names, rather than being ignored.
	unknown := filepath.Join(dir, "unknown.json")
	if err := os.WriteFile(unknown, []byte(`{"debug": true, "storage-driver": "overlay2", "dbug": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(filepath.Join(bin, "tugd"), "--config-file", unknown, "-H", "unix://"+filepath.Join(run, "unknown.sock")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not supported by tugd: dbug, storage-driver") {
		t.Errorf("tugd with unknown keys = %q, %v; want an error naming dbug and storage-driver", out, err)
	}
	// The default bridge has no IPv6: daemon.json's ipv6 and fixed-cidr-v6
	// are refused by name, not accepted and ignored.
	v6 := filepath.Join(dir, "ipv6.json")
	if err := os.WriteFile(v6, []byte(`{"ipv6": true, "fixed-cidr-v6": "fd00:dead::/64"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(filepath.Join(bin, "tugd"), "--config-file", v6, "-H", "unix://"+filepath.Join(run, "v6.sock")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not supported by tugd: fixed-cidr-v6, ipv6") {
		t.Errorf("tugd with ipv6 and fixed-cidr-v6 = %q, %v; want an error naming both", out, err)
	}
	// live-restore is always on: true is accepted, false refused.
	lr := filepath.Join(dir, "liverestore.json")
	if err := os.WriteFile(lr, []byte(`{"live-restore": false}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(filepath.Join(bin, "tugd"), "--config-file", lr, "-H", "unix://"+filepath.Join(run, "lr.sock")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "live-restore") {
		t.Errorf("tugd with live-restore false = %q, %v; want a refusal naming live-restore", out, err)
	}
}

// TestLogOptsFromDaemonJSON: daemon.json log-opts are every container's
// defaults, shown by inspect and applied by the shim.
func TestLogOptsFromDaemonJSON(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(cfg, []byte(`{"log-opts": {"max-size": "1k", "max-file": "2"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Kill()
	d.Args = []string{"--config-file", cfg}
	d.Start()
	r := d.Tug("run", "--name", "chatty", "busybox", "sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done")
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	got := strings.TrimSpace(d.Tug("inspect", "--format", "{{index .HostConfig.LogConfig.Config \"max-size\"}} {{index .HostConfig.LogConfig.Config \"max-file\"}}", "chatty").Stdout)
	if got != "1k 2" {
		t.Errorf("LogConfig from daemon.json = %q, want 1k 2", got)
	}
	logPath := strings.TrimSpace(d.Tug("inspect", "--format", "{{.LogPath}}", "chatty").Stdout)
	files, _ := filepath.Glob(logPath + "*")
	if len(files) != 2 {
		t.Errorf("log files = %v, want the log and one rotated file", files)
	}
	if out := d.Tug("logs", "--tail", "1", "chatty").Stdout; out != "line 199\n" {
		t.Errorf("logs --tail 1 = %q", out)
	}
}
