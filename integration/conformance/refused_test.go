package conformance

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

func startDaemon(t *testing.T) *testutil.Daemon {
	t.Helper()
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	return d
}

// nothingCreated fails the test when a container or a user network exists.
func nothingCreated(t *testing.T, d *testutil.Daemon) {
	t.Helper()
	ctx := context.Background()
	ctrs, err := d.Client.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(ctrs.Items) != 0 {
		t.Errorf("ps -a lists %d containers after refused requests, want none", len(ctrs.Items))
	}
	nets, err := d.Client.NetworkList(ctx, client.NetworkListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets.Items {
		switch n.Name {
		case "bridge", "host", "none":
		default:
			t.Errorf("network %s exists after refused requests", n.Name)
		}
	}
}

func wantInvalid(t *testing.T, what string, err error, text string) {
	t.Helper()
	if err == nil || !cerrdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), text) {
		t.Errorf("%s: err = %v, want a 400 naming %q", what, err, text)
	}
}

// TestRefusedFieldsThroughTheSocket sends requests with fields tug does
// not implement through moby's client: each gets a 400 naming the field,
// and nothing is created.
func TestRefusedFieldsThroughTheSocket(t *testing.T) {
	d := startDaemon(t)
	ctx := t.Context()
	for name, tc := range map[string]struct {
		hc   *container.HostConfig
		cfg  *container.Config
		nc   *network.NetworkingConfig
		want string
	}{
		"Umask":           {hc: &container.HostConfig{Umask: ptr(uint32(0o77))}, want: "HostConfig.Umask"},
		"Runtime":         {hc: &container.HostConfig{Runtime: "crun"}, want: "unknown or invalid runtime name: crun"},
		"Isolation":       {hc: &container.HostConfig{Isolation: "hyperv"}, want: "Invalid isolation"},
		"NetworkDisabled": {cfg: &container.Config{NetworkDisabled: true}, want: "Config.NetworkDisabled"},
		"Endpoint MAC":    {nc: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"bridge": {DriverOpts: map[string]string{"a": "b"}}}}, want: "DriverOpts"},
	} {
		cfg := tc.cfg
		if cfg == nil {
			cfg = &container.Config{}
		}
		cfg.Image, cfg.Cmd = "busybox", []string{"true"}
		_, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "c", Config: cfg, HostConfig: tc.hc, NetworkingConfig: tc.nc})
		wantInvalid(t, "create "+name, err, tc.want)
	}

	_, err := d.Client.NetworkCreate(ctx, "n1", client.NetworkCreateOptions{Attachable: true})
	wantInvalid(t, "network create Attachable", err, "Attachable")
	_, err = d.Client.NetworkCreate(ctx, "n2", client.NetworkCreateOptions{Options: map[string]string{"com.docker.network.bridge.gateway_mode_ipv4": "routed"}})
	wantInvalid(t, "network create Options", err, "com.docker.network.bridge.gateway_mode_ipv4")

	res, err := d.Client.ImageBuild(ctx, dockerfileContext(t, "FROM busybox\n"), client.ImageBuildOptions{Remove: true, Memory: 64 << 20})
	if err == nil {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		err = errors.New(string(body))
	}
	wantInvalid(t, "build memory", err, "memory")
	nothingCreated(t, d)
}

// TestRefusedFieldsThroughTheDockerCLI runs the stock docker CLI with
// flags tug does not implement: exit 125 (1 for network create and build),
// the field named, nothing created.
func TestRefusedFieldsThroughTheDockerCLI(t *testing.T) {
	d := startDaemon(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"network", "create", "--aux-address", "r=10.78.0.5", "--subnet", "10.78.0.0/16", "na"}, "AuxiliaryAddresses"},
		{[]string{"create", "--runtime", "crun", "busybox", "true"}, "unknown or invalid runtime name: crun"},
		{[]string{"create", "--isolation", "hyperv", "busybox", "true"}, "Invalid isolation"},
		{[]string{"create", "--storage-opt", "size=1G", "busybox", "true"}, "--storage-opt is supported only"},
		{[]string{"network", "create", "--ip-range", "10.77.1.0/24", "--subnet", "10.77.0.0/16", "nr"}, "IPRange"},
		{[]string{"network", "create", "--config-only", "nc"}, "ConfigOnly"},
	} {
		r := d.Docker(tc.args...)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("docker %s: %s\nwant a failure naming %q", strings.Join(tc.args, " "), r, tc.want)
		}
	}
	dir := t.TempDir()
	writeFile(t, dir+"/Dockerfile", "FROM busybox\n")
	if r := d.Docker("build", "--memory", "64m", dir); r.ExitCode == 0 || !strings.Contains(r.Stderr+r.Stdout, "memory") {
		t.Errorf("docker build --memory: %s\nwant a failure naming memory", r)
	}
	nothingCreated(t, d)
}

func ptr[T any](v T) *T { return &v }
