package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// TestLogDriverNone: --log-driver none keeps no log (no file, an empty
// LogPath) while attached output still flows; `logs` answers Docker's
// error, through tug and the docker CLI; `local` is refused by name.
func TestLogDriverNone(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("run", "--name", "nolog", "--log-driver", "none", "busybox", "echo", "hi"); r.ExitCode != 0 || r.Stdout != "hi\n" {
		t.Fatalf("run --log-driver none: %s", r)
	}
	if got := d.Tug("inspect", "--format", "{{.LogPath}}|{{.HostConfig.LogConfig.Type}}", "nolog").Stdout; strings.TrimSpace(got) != "|none" {
		t.Errorf("LogPath|LogConfig.Type = %q, want |none", got)
	}
	id := strings.TrimSpace(d.Tug("inspect", "--format", "{{.Id}}", "nolog").Stdout)
	if logs, _ := filepath.Glob(filepath.Join(d.Root, "containers", id, "*.log*")); len(logs) != 0 {
		t.Errorf("log files of a none container: %v", logs)
	}
	for _, c := range d.CLIs() {
		r := c.Run("", "logs", "nolog")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "configured logging driver does not support reading") {
			t.Errorf("%s logs of a none container: %s\nwant Docker's error", c.Name, r)
		}
	}
	// The CLIs refuse options for none themselves (docker/cli's text); the
	// daemon does too, for other clients.
	if r := d.Tug("run", "--rm", "--log-driver", "none", "--log-opt", "max-size=1m", "busybox", "true"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "invalid logging opts for driver none") {
		t.Errorf("run --log-driver none --log-opt: %s\nwant a refusal", r)
	}
	_, err := d.Client.ContainerCreate(t.Context(), client.ContainerCreateOptions{
		Config:     &container.Config{Image: "busybox"},
		HostConfig: &container.HostConfig{LogConfig: container.LogConfig{Type: "none", Config: map[string]string{"max-size": "1m"}}},
	})
	if !cerrdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "none log driver keeps no log and takes no options") {
		t.Errorf("create with LogConfig none + max-size: %v, want a 400 naming the option", err)
	}
	if r := d.Tug("run", "--rm", "--log-driver", "local", "busybox", "true"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "local log driver is not supported by tug") {
		t.Errorf("run --log-driver local: %s\nwant a refusal naming local", r)
	}
	if entries, _ := os.ReadDir(filepath.Join(d.Root, "containers")); len(entries) != 1 {
		t.Errorf("containers after the refused runs: %d, want 1", len(entries))
	}
}
