package cri

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/testutil"
)

// Without --cri-socket or daemon.json "cri", tugd serves no CRI socket.
func TestCRIIsOffByDefault(t *testing.T) {
	d := testutil.StartDaemon(t)
	socks, _ := filepath.Glob(filepath.Join(d.ExecRoot, "*.sock"))
	if len(socks) != 1 || socks[0] != d.Socket {
		t.Errorf("sockets in the exec root = %v, want only the Engine API's", socks)
	}
	if strings.Contains(d.Log(), "CRI listening") {
		t.Errorf("tugd started the CRI server unasked:\n%s", d.Log())
	}
}

// daemon.json's "cri" object sets the socket and CNI's directories.
func TestCRIFromDaemonJSON(t *testing.T) {
	d := testutil.StartDaemon(t)
	sock := filepath.Join(d.ExecRoot, "k.sock")
	cniDir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	body := `{"cri": {"socket": "unix://` + sock + `", "cni-conf-dir": "` + cniDir + `", "cni-bin-dirs": ["/usr/lib/cni"]}}`
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Kill()
	d.Args = []string{"--config-file", cfg}
	d.Start()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	var st *runtimeapi.StatusResponse
	if !testutil.WaitFor(10*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		st, err = rt.Status(ctx, &runtimeapi.StatusRequest{Verbose: true})
		return err == nil
	}) {
		t.Fatalf("no CRI on the socket daemon.json names: %v\n%s", err, d.Log())
	}
	want := `"cniBinDirs":["/usr/lib/cni"],"cniConfDir":"` + cniDir + `"`
	if !strings.Contains(st.Info["config"], want) {
		t.Errorf("Status info = %q, want %s", st.Info["config"], want)
	}
}

// A key of the "cri" object tugd does not know stops it, naming the key.
func TestCRIConfigRefusesUnknownKeys(t *testing.T) {
	testutil.RequiresRoot(t)
	bin := testutil.Binaries(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(cfg, []byte(`{"cri": {"socket": "unix:///tmp/x.sock", "sandbox-image": "pause"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "tugd"), "--config-file", cfg, "--data-root", filepath.Join(dir, "root"), "--exec-root", filepath.Join(dir, "run"), "-H", "unix://"+filepath.Join(dir, "tug.sock"))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `cri: json: unknown field "sandbox-image"`) {
		t.Errorf("tugd with an unknown cri key = %v\n%s", err, out)
	}
}
