package conformance

import (
	"os/exec"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

const notManager = `This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.`

// TestSwarmEndpointsAnswerAsAnEngineOutsideASwarm: tug has no swarm mode,
// so the swarm-mode endpoints answer 503 with the texts of a Docker engine
// that is not in a swarm; `swarm leave`, which clients call in cleanup,
// says "not part of a swarm".
func TestSwarmEndpointsAnswerAsAnEngineOutsideASwarm(t *testing.T) {
	d := testutil.StartDaemon(t)
	ctx := t.Context()

	_, err := d.Client.SwarmInspect(ctx, client.SwarmInspectOptions{})
	if !cerrdefs.IsUnavailable(err) || !strings.Contains(err.Error(), notManager) {
		t.Errorf("SwarmInspect() error = %v, want 503 %q", err, notManager)
	}
	_, err = d.Client.NodeList(ctx, client.NodeListOptions{})
	if !cerrdefs.IsUnavailable(err) || !strings.Contains(err.Error(), notManager) {
		t.Errorf("NodeList() error = %v, want 503 %q", err, notManager)
	}
	_, err = d.Client.SwarmLeave(ctx, client.SwarmLeaveOptions{Force: true})
	if !cerrdefs.IsUnavailable(err) || !strings.Contains(err.Error(), "This node is not part of a swarm") {
		t.Errorf("SwarmLeave() error = %v, want 503 This node is not part of a swarm", err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"swarm", "leave", "--force"}, "Error response from daemon: This node is not part of a swarm"},
		{[]string{"service", "ls"}, "Error response from daemon: " + notManager},
		{[]string{"secret", "ls"}, "Error response from daemon: " + notManager},
		{[]string{"swarm", "init"}, "swarm mode is not supported by tug"},
	} {
		r := d.Docker(tc.args...)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("docker %s: %s\nwant a failure saying %q", strings.Join(tc.args, " "), r, tc.want)
		}
	}

	// docker-py: leave_swarm(force=True), which the SDK's own test helpers
	// call in cleanup, takes a 503 as "not in a swarm" and succeeds; without
	// force the 503 is an APIError.
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import docker").Run(); err != nil {
		t.Log("python3-docker not installed: docker-py part skipped")
		return
	}
	script := `
import sys, docker
c = docker.APIClient(base_url=sys.argv[1], version="auto")
print("forced", c.leave_swarm(force=True))
try:
    c.leave_swarm()
    print("left")
except docker.errors.APIError as e:
    print("apierror", e.response.status_code, "not part of a swarm" in e.explanation)
`
	out, err := exec.Command(py, "-c", script, d.Host).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "forced True\napierror 503 True" {
		t.Errorf("docker-py leave_swarm: %v\n%s\nwant forced True, apierror 503 True", err, out)
	}
}

// TestPluginListIsEmptyAndInstallsAreRefused: tug has no managed plugins:
// the list is empty, a named plugin is not found (Docker's text), and an
// install is refused with an error saying why.
func TestPluginListIsEmptyAndInstallsAreRefused(t *testing.T) {
	d := testutil.StartDaemon(t)
	ctx := t.Context()

	list, err := d.Client.PluginList(ctx, client.PluginListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("PluginList() = %v, %v; want [], nil", list.Items, err)
	}
	if r := d.Docker("plugin", "ls"); r.ExitCode != 0 || strings.Count(strings.TrimSpace(r.Stdout), "\n") != 0 {
		t.Errorf("docker plugin ls: %s\nwant the header only", r)
	}
	_, err = d.Client.PluginInspect(ctx, "vieux/sshfs", client.PluginInspectOptions{})
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), `plugin "vieux/sshfs" not found`) {
		t.Errorf("PluginInspect() error = %v, want 404 plugin \"vieux/sshfs\" not found", err)
	}
	r := d.Docker("plugin", "install", "--grant-all-permissions", "127.0.0.1:1/plugin")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "managed plugins are not supported by tug") {
		t.Errorf("docker plugin install: %s\nwant a refusal saying managed plugins are not supported", r)
	}
}
