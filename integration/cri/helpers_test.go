package cri

import (
	"bytes"
	"context"
	"encoding/json"
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
	return startCRIWith(t)
}

// startCRIWith is startCRI with more flags for tugd.
func startCRIWith(t *testing.T, args ...string) *criDaemon {
	t.Helper()
	cniDir := t.TempDir()
	d := testutil.StartDaemonWith(t, append([]string{"--cri-socket", "unix://{exec-root}/cri.sock", "--cni-conf-dir", cniDir}, args...)...)
	c := &criDaemon{Daemon: d, t: t, CRISock: filepath.Join(d.ExecRoot, "cri.sock"), CNIDir: cniDir}
	conn, err := grpc.NewClient("unix://"+c.CRISock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c.Runtime = runtimeapi.NewRuntimeServiceClient(conn)
	c.Images = runtimeapi.NewImageServiceClient(conn)
	t.Cleanup(c.removeAllPods) // before the daemon's cleanup (cleanups run last first)
	c.waitCRI()
	return c
}

// waitCRI waits until the CRI socket answers (after a Start).
func (c *criDaemon) waitCRI() {
	c.t.Helper()
	if !testutil.WaitFor(10*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.Runtime.Version(ctx, &runtimeapi.VersionRequest{})
		return err == nil
	}) {
		c.t.Fatalf("the CRI socket does not answer:\n%s", c.Log())
	}
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

// CrictlCmd is crictl against this daemon's CRI socket, for a caller
// that runs it itself (on a terminal, with stdin, in the background).
func (c *criDaemon) CrictlCmd(args ...string) *exec.Cmd {
	c.t.Helper()
	cfg := filepath.Join(c.t.TempDir(), "crictl.yaml")
	conf := fmt.Sprintf("runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 20\n", c.CRISock, c.CRISock)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return exec.Command(crictlPath(c.t), append([]string{"--config", cfg}, args...)...)
}

// Crictl runs crictl against this daemon's CRI socket.
func (c *criDaemon) Crictl(args ...string) testutil.Result {
	c.t.Helper()
	return c.CrictlIn("", args...)
}

// CrictlIn runs crictl with stdin.
func (c *criDaemon) CrictlIn(stdin string, args ...string) testutil.Result {
	c.t.Helper()
	cmd := c.CrictlCmd(args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
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

// Pod network of the tests: a bridge tug does not otherwise use, on a
// subnet no tug network takes, with host-local's leases in a test
// directory.
const (
	testBridge = "tugcri0"
	testSubnet = "10.231.0.0/24"
	testPrefix = "10.231.0."
)

// withNetwork writes the tests' CNI configuration (bridge + host-local)
// into the daemon's CNI directory and returns host-local's lease
// directory; the bridge is deleted at the end of the test.
func (c *criDaemon) withNetwork(extraPlugins ...string) string {
	c.t.Helper()
	ipam := filepath.Join(c.t.TempDir(), "ipam")
	plugins := []string{fmt.Sprintf(`{"type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": false,
		"ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "dataDir": %q}}`, testBridge, testSubnet, ipam)}
	plugins = append(plugins, extraPlugins...)
	conf := `{"cniVersion": "1.0.0", "name": "tugcri-test", "plugins": [` + strings.Join(plugins, ",") + `]}`
	if err := os.WriteFile(filepath.Join(c.CNIDir, "10-tugcri.conflist"), []byte(conf), 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		c.removeAllPods()
		_ = exec.Command("ip", "link", "del", testBridge).Run()
	})
	return filepath.Join(ipam, "tugcri-test")
}

// podConfig is a minimal pod sandbox config, as crictl's examples have.
func podConfig(name string) *runtimeapi.PodSandboxConfig {
	return &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "default", Uid: "uid-" + name},
		Hostname:     name + "-host",
		LogDirectory: "",
		Labels:       map[string]string{"app": name},
		Linux:        &runtimeapi.LinuxPodSandboxConfig{},
	}
}

// runPod starts a sandbox through the gRPC client.
func (c *criDaemon) runPod(cfg *runtimeapi.PodSandboxConfig) string {
	c.t.Helper()
	resp, err := c.Runtime.RunPodSandbox(ctxT(c.t), &runtimeapi.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		c.t.Fatalf("RunPodSandbox(%s) = %v\n%s", cfg.Metadata.Name, err, c.Log())
	}
	return resp.PodSandboxId
}

// podStatus is the verbose status of sandbox id with the pause process's
// pid from its info.
func (c *criDaemon) podStatus(id string) (*runtimeapi.PodSandboxStatus, int) {
	c.t.Helper()
	resp, err := c.Runtime.PodSandboxStatus(ctxT(c.t), &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id, Verbose: true})
	if err != nil {
		c.t.Fatalf("PodSandboxStatus(%s) = %v", id, err)
	}
	var info struct {
		Pid int `json:"pid"`
	}
	_ = json.Unmarshal([]byte(resp.Info["info"]), &info)
	return resp.Status, info.Pid
}

// removeAllPods removes every sandbox, as a kubelet would before going
// away; the Engine API's cleanup does not see them.
func (c *criDaemon) removeAllPods() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := c.Runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return // the daemon is gone
	}
	for _, p := range list.Items {
		if _, err := c.Runtime.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: p.Id}); err != nil {
			c.t.Errorf("cleanup: RemovePodSandbox(%s) = %v", p.Id, err)
		}
	}
}

// createContainer creates a busybox container running sh -c script in pod
// id (whose config is pod) and returns its ID.
func (c *criDaemon) createContainer(podID string, pod *runtimeapi.PodSandboxConfig, name, script string) string {
	c.t.Helper()
	resp, err := c.Runtime.CreateContainer(ctxT(c.t), &runtimeapi.CreateContainerRequest{
		PodSandboxId: podID,
		Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: name},
			Image:    &runtimeapi.ImageSpec{Image: "busybox"},
			Command:  []string{"sh", "-c", script},
			LogPath:  name + "/0.log",
			Labels:   map[string]string{"ctr": name},
			Linux:    &runtimeapi.LinuxContainerConfig{},
		},
		SandboxConfig: pod,
	})
	if err != nil {
		c.t.Fatalf("CreateContainer(%s) = %v\n%s", name, err, c.Log())
	}
	return resp.ContainerId
}

func (c *criDaemon) startContainer(id string) {
	c.t.Helper()
	if _, err := c.Runtime.StartContainer(ctxT(c.t), &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
		c.t.Fatalf("StartContainer(%s) = %v\n%s", id, err, c.Log())
	}
}

func (c *criDaemon) containerStatus(id string) *runtimeapi.ContainerStatus {
	c.t.Helper()
	resp, err := c.Runtime.ContainerStatus(ctxT(c.t), &runtimeapi.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		c.t.Fatalf("ContainerStatus(%s) = %v", id, err)
	}
	return resp.Status
}

// waitExited waits until container id has exited and returns its status.
func (c *criDaemon) waitExited(id string) *runtimeapi.ContainerStatus {
	c.t.Helper()
	var st *runtimeapi.ContainerStatus
	if !testutil.WaitFor(10*time.Second, func() bool {
		st = c.containerStatus(id)
		return st.State == runtimeapi.ContainerState_CONTAINER_EXITED
	}) {
		c.t.Fatalf("container %s did not exit: %v", id, st)
	}
	return st
}

// podWithLogs is podConfig with a log directory in the test's temporary
// directory.
func podWithLogs(t *testing.T, name string) *runtimeapi.PodSandboxConfig {
	cfg := podConfig(name)
	cfg.LogDirectory = filepath.Join(t.TempDir(), "pods", name)
	cfg.DnsConfig = &runtimeapi.DNSConfig{Servers: []string{"127.0.0.1"}, Searches: []string{"svc.cluster.local"}}
	return cfg
}
