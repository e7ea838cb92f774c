package exec

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// An exec whose command cannot be started ends with the exit code moby
// gives for the client's API version: 127 (not found) or 126 (cannot be
// invoked) from API 1.46, as moby 27 and later record them; 126 for any
// start failure before, as moby up to 26 did (docker-py 7.1's tests, pinned
// to API 1.45, expect 126).
func TestExecStartFailureExitCodeByAPIVersion(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		version string
		cmd     string
		want    int
	}{
		{"", "no-such-cmd", 127},
		{"", "/etc/passwd", 126},
		{"1.46", "no-such-cmd", 127},
		{"1.45", "no-such-cmd", 126},
		{"1.41", "no-such-cmd", 126},
		{"1.41", "/etc/passwd", 126},
	} {
		opts := []client.Opt{client.WithHost(d.Host), client.WithAPIVersionNegotiation()}
		if tc.version != "" {
			opts = []client.Opt{client.WithHost(d.Host), client.WithAPIVersion(tc.version)}
		}
		cl, err := client.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := cl.ExecCreate(ctx, "ctr", client.ExecCreateOptions{AttachStdout: true, AttachStderr: true, Cmd: []string{tc.cmd}})
		if err != nil {
			t.Fatalf("ExecCreate() = %v", err)
		}
		resp, err := cl.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
		if err != nil {
			t.Fatalf("ExecAttach() = %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Reader)
		resp.Close()
		st, err := cl.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
		if err != nil || st.ExitCode != tc.want || st.Running {
			t.Errorf("API %q exec %s: ExecInspect() = %+v, %v; want exit code %d", tc.version, tc.cmd, st, err, tc.want)
		}
		cl.Close()
	}

	// docker-py: its own tests (API 1.45) expect 126; negotiated, 127.
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import docker").Run(); err != nil {
		t.Skip("Docker SDK for Python not installed (apt-get install python3-docker)")
	}
	script := filepath.Join(t.TempDir(), "exec.py")
	src := `
import sys, docker
for v in ("1.45", "auto"):
    c = docker.DockerClient(base_url=sys.argv[1], version=v)
    print(v, c.containers.get("ctr").exec_run("no-such-cmd")[0])
`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, script, d.Host).CombinedOutput()
	if err != nil {
		t.Fatalf("docker-py: %v\n%s", err, out)
	}
	if want := "1.45 126\nauto 127\n"; !strings.Contains(string(out), want) {
		t.Errorf("docker-py exec_run exit codes = %q, want %q", out, want)
	}
}
