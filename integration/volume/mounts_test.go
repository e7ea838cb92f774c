package volume

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// HostConfig.Mounts from the API take effect: a bind, a named volume and
// a tmpfs, and inspect shows them like Docker.
func TestHostConfigMountsFromTheAPI(t *testing.T) {
	d := startDaemon(t)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "f"), []byte("from host"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	res, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &apicontainer.Config{Image: "bb", Cmd: []string{"sh", "-c", "cat /h/f; echo v > /v/f; grep ' /t ' /proc/mounts"}},
		HostConfig: &apicontainer.HostConfig{NetworkMode: "none", Mounts: []mount.Mount{
			{Type: mount.TypeBind, Source: host, Target: "/h", ReadOnly: true},
			{Type: mount.TypeVolume, Source: "apivol", Target: "/v"},
			{Type: mount.TypeTmpfs, Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.tug("start", res.ID)
	d.tug("wait", res.ID)
	logs := d.tug("logs", res.ID)
	if !strings.Contains(logs, "from host") || !strings.Contains(logs, "tmpfs /t tmpfs") || !strings.Contains(logs, "size=1024k") {
		t.Fatalf("container output: %q", logs)
	}
	ins, err := d.Client.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byDst := map[string]apicontainer.MountPoint{}
	for _, m := range ins.Container.Mounts {
		byDst[m.Destination] = m
	}
	if m := byDst["/h"]; m.Type != mount.TypeBind || m.Source != host || m.RW || m.Propagation != mount.PropagationRPrivate {
		t.Errorf("bind mount point = %+v", m)
	}
	if m := byDst["/v"]; m.Type != mount.TypeVolume || m.Name != "apivol" || m.Driver != "local" || !m.RW ||
		m.Source != filepath.Join(d.Root, "volumes", "apivol", "_data") {
		t.Errorf("volume mount point = %+v", m)
	}
	if m := byDst["/t"]; m.Type != mount.TypeTmpfs {
		t.Errorf("tmpfs mount point = %+v", m)
	}
	if got := d.tug("inspect", "-f", "{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}", res.ID); got != "volume:/v bind:/h tmpfs:/t" && !strings.Contains(got, "bind:/h") {
		t.Errorf("inspect Mounts = %q", got)
	}
	d.tug("rm", res.ID)
	d.tug("volume", "rm", "apivol")
}

// An image VOLUME is an anonymous volume filled from the image on first
// use, owner and mode kept; RUN steps after VOLUME do not change it, as
// in Docker's classic builder; nocopy leaves a volume empty.
func TestImageVolumeCopyUpKeepsOwnership(t *testing.T) {
	d := startDaemon(t)
	ctxDir := t.TempDir()
	df := "FROM bb\nRUN mkdir /data && echo seed > /data/f && chown -R 1000:2000 /data && chmod 0750 /data\nVOLUME /data\nRUN echo after > /data/f\n"
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	d.tug("build", "--network", "none", "-q", "-t", "withvol", ctxDir)
	if got := d.tug("image", "inspect", "-f", "{{json .Config.Volumes}}", "withvol"); got != `{"/data":{}}` {
		t.Fatalf("image Volumes = %s", got)
	}
	out := d.tug("run", "--name", "c1", "--network", "none", "withvol", "sh", "-c", "cat /data/f; stat -c '%u:%g %a' /data /data/f")
	if want := "seed\n1000:2000 750\n1000:2000 644"; out != want {
		t.Fatalf("in the container: %q, want %q", out, want)
	}
	name := d.tug("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", "c1")
	if len(name) != 64 {
		t.Fatalf("anonymous volume name = %q", name)
	}
	st, err := os.Stat(filepath.Join(d.Root, "volumes", name, "_data", "f"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != 5 {
		t.Errorf("copied file size %d, want 5 (seed)", st.Size())
	}
	d.tug("rm", "-v", "c1")
	if v := d.volumes(); len(v) != 0 {
		t.Errorf("volumes after rm -v: %v", v)
	}
	out = d.tug("run", "--rm", "--network", "none", "-v", "empty:/data:nocopy", "withvol", "ls", "-A", "/data")
	if out != "" {
		t.Errorf("nocopy volume has %q", out)
	}
	d.tug("volume", "rm", "empty")
}

// --volumes-from mounts another container's volumes, :ro read-only.
func TestVolumesFrom(t *testing.T) {
	d := startDaemon(t)
	d.tug("create", "--name", "src", "--network", "none", "-v", "shared:/s", "-v", "/anon", "bb", "true")
	d.tug("run", "--rm", "--network", "none", "--volumes-from", "src", "bb", "sh", "-c", "echo x > /s/f; echo y > /anon/g")
	if got := d.tug("run", "--rm", "--network", "none", "--volumes-from", "src:ro", "bb", "cat", "/s/f", "/anon/g"); got != "x\ny" {
		t.Fatalf("read through volumes-from: %q", got)
	}
	r := d.Tug("run", "--rm", "--network", "none", "--volumes-from", "src:ro", "bb", "touch", "/s/new")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Fatalf("write through volumes-from :ro: %s", r)
	}
	// The --rm containers took nothing of src's along.
	if n := len(d.volumes()); n != 2 {
		t.Fatalf("volumes = %v, want src's two", d.volumes())
	}
	d.fails("No such container: nope", "create", "--volumes-from", "nope", "bb", "true")
	d.tug("rm", "-v", "src")
	d.tug("volume", "rm", "shared")
}

// --read-only makes the rootfs read-only; volumes and tmpfs stay writable.
func TestReadOnlyRootfs(t *testing.T) {
	d := startDaemon(t)
	r := d.Tug("run", "--rm", "--network", "none", "--read-only", "bb", "touch", "/x")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Fatalf("touch on a read-only rootfs: %s", r)
	}
	d.tug("run", "--rm", "--network", "none", "--read-only", "-v", "/data", "--tmpfs", "/run", "--mount", "type=tmpfs,dst=/t", "bb",
		"sh", "-c", "touch /data/x /run/x /t/x")
	if got := d.tug("run", "--rm", "--network", "none", "--read-only", "bb", "sh", "-c", "grep ' / ' /proc/mounts | grep -c ro,"); got != "1" {
		t.Errorf("rootfs mount options: %q", got)
	}
}

// Binds with -v keep working, a missing -v source is created, and a
// missing --mount source is an error.
func TestBindSources(t *testing.T) {
	d := startDaemon(t)
	dir := filepath.Join(t.TempDir(), "made")
	d.tug("run", "--rm", "--network", "none", "-v", dir+":/m", "bb", "sh", "-c", "echo hi > /m/f")
	if b, err := os.ReadFile(filepath.Join(dir, "f")); err != nil || string(b) != "hi\n" {
		t.Fatalf("bind write: %q, %v", b, err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	d.fails("invalid mount config for type \"bind\": bind source path does not exist: "+missing,
		"run", "--rm", "--network", "none", "--mount", "type=bind,src="+missing+",dst=/m", "bb", "true")
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("--mount created the missing source")
	}
	// / is a private mount here: shared propagation is refused with Docker's text.
	d.fails("is not a shared mount", "run", "--rm", "--network", "none", "-v", dir+":/m:rshared", "bb", "true")
}
