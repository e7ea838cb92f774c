package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// TestHandledFieldsTakeEffect checks a few fields the lists call handled,
// through the docker CLI and the socket: the domain name, the OOM score,
// the stop timeout, annotations.
func TestHandledFieldsTakeEffect(t *testing.T) {
	d := startDaemon(t)
	ctx := t.Context()

	r := d.Docker("run", "--rm", "--domainname", "example.test", "--oom-score-adj", "300", "busybox",
		"sh", "-c", "cat /proc/sys/kernel/domainname /proc/self/oom_score_adj")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "example.test\n300") {
		t.Errorf("docker run --domainname --oom-score-adj: %s\nwant example.test and 300", r)
	}

	// StopTimeout: pid 1 ignores SIGTERM, so stop waits the container's
	// timeout (1 s) and kills it, not Docker's default 10 s.
	timeout := 1
	res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "st",
		Config:     &container.Config{Image: "busybox", Cmd: []string{"sleep", "60"}, StopTimeout: &timeout},
		HostConfig: &container.HostConfig{Annotations: map[string]string{"org.example.note": "kept"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := d.Tug("start", "st"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	b, err := os.ReadFile(filepath.Join(d.Root, "containers", res.ID, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	if got := spec.Annotations["org.example.note"]; got != "kept" {
		t.Errorf("OCI spec annotation org.example.note = %q, want kept (HostConfig.Annotations)", got)
	}
	start := time.Now()
	if r := d.Tug("stop", "st"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if el := time.Since(start); el > 6*time.Second {
		t.Errorf("stop took %v with StopTimeout 1, want about 1 s", el)
	}
	d.Tug("rm", "-f", "st")

	// Defaults clients send are accepted: the docker CLI's own create
	// request and Docker's default values through the socket.
	res, err = d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: "busybox", Cmd: []string{"true"}, Healthcheck: &container.HealthConfig{Test: []string{"NONE"}}},
		HostConfig: &container.HostConfig{Isolation: "default", Runtime: "runc", NetworkMode: "default", ConsoleSize: [2]uint{24, 80}}})
	if err != nil {
		t.Fatalf("create with Docker's default values: %v", err)
	}
	d.Tug("rm", "-f", res.ID)
}
