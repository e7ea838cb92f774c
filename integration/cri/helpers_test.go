package cri

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/testutil"
)

// criDaemon is a tugd serving the CRI, with clients of both its services.
type criDaemon struct {
	*testutil.Daemon
	t       *testing.T
	CRISock string
	CNIDir  string // the CNI configuration directory tugd reads
	Runtime runtimeapi.RuntimeServiceClient
	Images  runtimeapi.ImageServiceClient
}

// startCRI starts tugd with its CRI socket in the exec root and CNI's
// configuration directory in a temporary directory of the test.
func startCRI(t *testing.T) *criDaemon {
	t.Helper()
	cniDir := t.TempDir()
	d := testutil.StartDaemonWith(t, "--cri-socket", "unix://{exec-root}/cri.sock", "--cni-conf-dir", cniDir)
	c := &criDaemon{Daemon: d, t: t, CRISock: filepath.Join(d.ExecRoot, "cri.sock"), CNIDir: cniDir}
	conn, err := grpc.NewClient("unix://"+c.CRISock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c.Runtime = runtimeapi.NewRuntimeServiceClient(conn)
	c.Images = runtimeapi.NewImageServiceClient(conn)
	if !testutil.WaitFor(10*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.Runtime.Version(ctx, &runtimeapi.VersionRequest{})
		return err == nil
	}) {
		t.Fatalf("the CRI socket does not answer:\n%s", d.Log())
	}
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var (
	toolsOnce sync.Once
	toolsDir  string
	toolsErr  error
)

// crictlPath builds crictl once (cached across runs by .ci/cri-tools).
func crictlPath(t *testing.T) string {
	t.Helper()
	toolsOnce.Do(func() {
		out, err := exec.Command("bash", "../../.ci/cri-tools", "crictl").Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			toolsErr = fmt.Errorf(".ci/cri-tools: %v\n%s", err, stderr)
			return
		}
		toolsDir = strings.TrimSpace(string(out))
	})
	if toolsErr != nil {
		t.Fatal(toolsErr)
	}
	return filepath.Join(toolsDir, "crictl")
}

// Crictl runs crictl against this daemon's CRI socket.
func (c *criDaemon) Crictl(args ...string) testutil.Result {
	c.t.Helper()
	cfg := filepath.Join(c.t.TempDir(), "crictl.yaml")
	conf := fmt.Sprintf("runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 20\n", c.CRISock, c.CRISock)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(crictlPath(c.t), append([]string{"--config", cfg}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := runWithTimeout(cmd, testutil.CommandTimeout)
	res := testutil.Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.ExitCode = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("crictl %v: %v\n%s", args, err, res)
	}
	return res
}

func runWithTimeout(cmd *exec.Cmd, d time.Duration) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("%v hung for %v", cmd.Args, d)
	}
}

// startRegistry serves an in-memory registry on 127.0.0.1, behind basic
// auth when user is not empty, and returns its host:port.
func startRegistry(t *testing.T, user, pass string) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if user != "" {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return l.Addr().String()
}

// pushBusybox puts the busybox test image at ref in a registry through
// tug (import, push with the given tug config dir, then rmi), so the
// daemon's store does not have it.
func (c *criDaemon) pushBusybox(ref, configDir string) {
	c.t.Helper()
	c.ImportBusybox(ref)
	if r := c.Tug("--config", configDir, "push", ref); r.ExitCode != 0 {
		c.t.Fatalf("tug push %s: %s", ref, r)
	}
	if r := c.Tug("rmi", ref); r.ExitCode != 0 {
		c.t.Fatalf("tug rmi %s: %s", ref, r)
	}
}
