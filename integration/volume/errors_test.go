package volume

import (
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// Every bad mount request is refused before anything is created, with
// Docker's text where it has one.
func TestMountErrorsLeaveNothing(t *testing.T) {
	d := startDaemon(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-v", "a:/x"}, `"a" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`},
		{[]string{"-v", "good:relative"}, "mount path must be absolute"},
		{[]string{"-v", "good:/x:bogus"}, "invalid mode: bogus"},
		{[]string{"--mount", "type=bind,src=/tmp,dst=/x,colour=red"}, "unexpected key 'colour' in 'colour=red'"},
		{[]string{"--mount", "type=weird,dst=/x"}, `invalid mount config for type "weird"`},
		{[]string{"--mount", "type=volume,src=good,dst=/x,volume-driver=nfs"}, `error looking up volume plugin nfs: plugin "nfs" not found`},
		{[]string{"--mount", "type=volume,src=good,dst=rel"}, "mount path must be absolute"},
		{[]string{"-v", "good:/x", "--mount", "type=tmpfs,dst=/x"}, "Duplicate mount point: /x"},
	}
	for _, c := range cases {
		args := append(append([]string{"create", "--network", "none"}, c.args...), "bb", "true")
		d.fails(c.want, args...)
	}
	ctx := t.Context()
	_, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &apicontainer.Config{Image: "bb", Cmd: []string{"true"}},
		HostConfig: &apicontainer.HostConfig{VolumeDriver: "flocker", Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: "good", Target: "/x"}}},
	})
	if err == nil || !strings.Contains(err.Error(), `plugin "flocker" not found`) {
		t.Errorf("VolumeDriver flocker: %v", err)
	}
	_, err = d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &apicontainer.Config{Image: "bb", Cmd: []string{"true"}},
		HostConfig: &apicontainer.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeImage, Source: "bb", Target: "/x"}}},
	})
	if !cerrdefs.IsInvalidArgument(err) {
		t.Errorf("image mount: %v, want invalid argument", err)
	}
	if n := d.containers(); n != 0 {
		t.Errorf("%d containers left", n)
	}
	if v := d.volumes(); len(v) != 0 {
		t.Errorf("volumes left: %v", v)
	}

	// The volume API's own errors.
	d.fails("includes invalid characters", "volume", "create", "bad/name")
	d.fails(`plugin "nfs" not found`, "volume", "create", "-d", "nfs", "nv")
	d.fails(`invalid option: "size"`, "volume", "create", "-o", "size=1g", "nv")
	_, err = d.Client.VolumeInspect(ctx, "nope", client.VolumeInspectOptions{})
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "get nope: no such volume") {
		t.Errorf("inspect of a missing volume: %v", err)
	}
	if _, err := d.Client.VolumeRemove(ctx, "nope", client.VolumeRemoveOptions{Force: true}); err != nil {
		t.Errorf("rm -f of a missing volume: %v", err)
	}
	_, err = d.Client.VolumeList(ctx, client.VolumeListOptions{Filters: make(client.Filters).Add("until", "1h")})
	if !cerrdefs.IsInvalidArgument(err) {
		t.Errorf("list with an unknown filter: %v", err)
	}
	if v := d.volumes(); len(v) != 0 {
		t.Errorf("volumes left: %v", v)
	}
}

// A create that fails after it made a named volume on first use (here the
// network step refuses an alias on the default bridge) leaves neither the
// container nor the volume.
func TestFailedCreateRemovesTheVolumeItMade(t *testing.T) {
	d := startDaemon(t)
	_, err := d.Client.ContainerCreate(t.Context(), client.ContainerCreateOptions{
		Config:     &apicontainer.Config{Image: "bb", Cmd: []string{"true"}},
		HostConfig: &apicontainer.HostConfig{Binds: []string{"madeonuse:/data"}},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			"bridge": {Aliases: []string{"web"}},
		}},
	})
	if !cerrdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "network-scoped alias") {
		t.Fatalf("create with an alias on the default bridge: %v, want Docker's invalid-argument error", err)
	}
	if n := d.containers(); n != 0 {
		t.Errorf("%d containers left", n)
	}
	if v := d.volumes(); len(v) != 0 {
		t.Errorf("volumes left after the failed create: %v", v)
	}
}

// A volume created with -o type=tmpfs is mounted while containers use it
// and unmounted after.
func TestVolumeWithDriverOptions(t *testing.T) {
	d := startDaemon(t)
	d.tug("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=2m", "tv")
	out := d.tug("run", "--rm", "--network", "none", "-v", "tv:/t", "bb", "sh", "-c", "grep ' /t ' /proc/mounts")
	if !strings.Contains(out, "tmpfs /t tmpfs") || !strings.Contains(out, "size=2048k") {
		t.Fatalf("/t in the container: %q", out)
	}
	if got := d.tug("volume", "inspect", "-f", "{{.Options.type}} {{.Options.o}}", "tv"); got != "tmpfs size=2m" {
		t.Errorf("volume inspect Options: %q", got)
	}
	d.tug("volume", "rm", "tv")
}
