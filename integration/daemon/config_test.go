package daemon

import (
	"bytes"
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
	var log bytes.Buffer
	cmd := exec.Command(filepath.Join(bin, "tugd"), "--config-file", cfg)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tugd did not listen on the configured socket:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
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
}
