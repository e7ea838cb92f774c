package testutil

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// DistributionBin is Debian's docker-registry (Distribution v2), which
// .ci/run installs.
const DistributionBin = "/usr/bin/docker-registry"

// Registry is a docker-registry process serving on 127.0.0.1.
type Registry struct {
	Host string // 127.0.0.1:port
	log  *SafeBuffer
}

// Log is what the registry logged so far.
func (r *Registry) Log() string { return r.log.String() }

// StartRegistry runs docker-registry on a free loopback port with a
// temporary filesystem storage; authYAML is the config's auth section
// (empty: none). The process is killed and its storage removed when the
// test ends; the test is skipped when docker-registry is not installed.
func StartRegistry(t testing.TB, authYAML string) *Registry {
	t.Helper()
	if _, err := os.Stat(DistributionBin); err != nil {
		t.Skipf("%s not installed (apt-get install docker-registry; .ci/run does)", DistributionBin)
	}
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := FreePort(t, "tcp")
		host := fmt.Sprintf("127.0.0.1:%d", port)
		cfg := fmt.Sprintf(`version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: e2e-test-secret
%s`, filepath.Join(dir, "storage"), host, authYAML)
		cfgPath := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		r := &Registry{Host: host, log: &SafeBuffer{}}
		cmd := exec.Command(DistributionBin, "serve", cfgPath)
		cmd.Stdout, cmd.Stderr = r.log, r.log
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", DistributionBin, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		if lastErr = waitRegistry(host, exited); lastErr == nil {
			t.Cleanup(func() {
				stop()
				if t.Failed() {
					t.Logf("docker-registry log:\n%s", r.log.String())
				}
			})
			return r
		}
		stop()
		t.Logf("docker-registry on %s did not start (%v):\n%s", host, lastErr, r.log.String())
	}
	t.Fatalf("docker-registry did not start: %v", lastErr)
	return nil
}

// waitRegistry waits until the registry answers /v2/ (any status).
func waitRegistry(host string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 2 * time.Second}
	gone := false
	answers := func() bool {
		select {
		case <-exited:
			gone = true
			return true
		default:
		}
		resp, err := client.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}
	switch {
	case !WaitFor(30*time.Second, answers):
		return fmt.Errorf("no answer on %s", host)
	case gone:
		return fmt.Errorf("exited")
	}
	return nil
}
