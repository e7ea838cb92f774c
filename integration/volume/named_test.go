package volume

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// Data written to a named volume by one container is read by the next;
// the volume is made on first use and outlives both containers.
func TestNamedVolumeOutlivesContainers(t *testing.T) {
	d := startDaemon(t)
	d.tug("run", "--rm", "--network", "none", "-v", "data:/data", "bb", "sh", "-c", "echo hello > /data/f")
	if got := d.tug("run", "--rm", "--network", "none", "-v", "data:/data:ro", "bb", "cat", "/data/f"); got != "hello" {
		t.Fatalf("second container read %q, want hello", got)
	}
	if got := d.tug("volume", "ls", "-q"); got != "data" {
		t.Fatalf("volume ls -q = %q, want data", got)
	}
	mp := d.tug("volume", "inspect", "-f", "{{.Driver}} {{.Scope}} {{.Mountpoint}}", "data")
	if want := "local local " + d.Root + "/volumes/data/_data"; mp != want {
		t.Fatalf("volume inspect = %q, want %q", mp, want)
	}
	d.tug("volume", "rm", "data")
	if v := d.volumes(); len(v) != 0 {
		t.Fatalf("volumes after rm: %v", v)
	}
}

// The same scenario through the docker CLI.
func TestNamedVolumeWithDockerCLI(t *testing.T) {
	d := startDaemon(t)
	for _, args := range [][]string{
		{"volume", "create", "--label", "app=db", "dv"},
		{"run", "--rm", "--network", "none", "-v", "dv:/data", "bb", "sh", "-c", "echo fromdocker > /data/f"},
	} {
		if r := d.Docker(args...); r.ExitCode != 0 {
			t.Fatalf("docker %v: %s", args, r)
		}
	}
	r := d.Docker("run", "--rm", "--network", "none", "--mount", "type=volume,src=dv,dst=/v,readonly", "bb", "cat", "/v/f")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "fromdocker" {
		t.Fatalf("docker run --mount: %s", r)
	}
	r = d.Docker("volume", "ls", "--filter", "label=app=db", "--format", "{{.Name}} {{.Driver}}")
	if strings.TrimSpace(r.Stdout) != "dv local" {
		t.Fatalf("docker volume ls: %s", r)
	}
	if r := d.Docker("volume", "rm", "dv"); r.ExitCode != 0 {
		t.Fatalf("docker volume rm: %s", r)
	}
}

// A read-only volume refuses writes.
func TestReadOnlyVolumeRefusesWrites(t *testing.T) {
	d := startDaemon(t)
	r := d.Tug("run", "--rm", "--network", "none", "-v", "ro:/data:ro", "bb", "touch", "/data/x")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Fatalf("touch in a ro volume: %s", r)
	}
	d.tug("volume", "rm", "ro")
}

// A volume a container uses, running or not, cannot be removed: Docker's
// 409 naming the container.
func TestVolumeInUseIsRefused(t *testing.T) {
	d := startDaemon(t)
	id := d.tug("create", "--network", "none", "-v", "busy:/data", "bb", "true")
	_, err := d.Client.VolumeRemove(t.Context(), "busy", client.VolumeRemoveOptions{})
	if err == nil || !strings.Contains(err.Error(), "remove busy: volume is in use - ["+id+"]") {
		t.Fatalf("VolumeRemove = %v, want in use by %s", err, id)
	}
	d.fails("volume is in use", "volume", "rm", "busy")
	d.tug("rm", id)
	d.tug("volume", "rm", "busy")
}

// Prune removes unused anonymous volumes, and with -a unused named ones,
// and keeps every volume a container uses.
func TestPruneKeepsWhatIsUsed(t *testing.T) {
	d := startDaemon(t)
	d.tug("volume", "create", "unused")
	d.tug("volume", "create", "--label", "keep=1", "labelled")
	d.tug("create", "--network", "none", "-v", "used:/data", "-v", "/anon-used", "bb", "true")
	d.tug("run", "--network", "none", "--name", "gone", "-v", "/anon", "bb", "true")
	d.tug("rm", "gone") // without -v: its anonymous volume stays, unused
	if n := len(d.volumes()); n != 5 {
		t.Fatalf("volumes = %v, want 5", d.volumes())
	}
	out := d.tug("volume", "prune", "-f")
	if !strings.Contains(out, "Deleted Volumes:") || !strings.Contains(out, "Total reclaimed space:") {
		t.Fatalf("prune output: %q", out)
	}
	vols := d.volumes()
	for _, want := range []string{"unused", "labelled", "used"} {
		if !slices.Contains(vols, want) {
			t.Fatalf("after prune: %v, want %s kept", vols, want)
		}
	}
	if len(vols) != 4 {
		t.Fatalf("after prune: %v, want the unused anonymous volume gone", vols)
	}
	d.tug("volume", "prune", "-f", "-a", "--filter", "label!=keep")
	vols = d.volumes()
	if slices.Contains(vols, "unused") || !slices.Contains(vols, "labelled") || !slices.Contains(vols, "used") {
		t.Fatalf("after prune -a --filter label!=keep: %v", vols)
	}
	res, err := d.Client.VolumeList(t.Context(), client.VolumeListOptions{Filters: make(client.Filters).Add("dangling", "true")})
	if err != nil || len(res.Items) != 1 || res.Items[0].Name != "labelled" {
		t.Fatalf("dangling=true: %+v, %v; want labelled only", res.Items, err)
	}
}

// `run --rm` and `rm -v` remove a container's anonymous volumes and keep
// its named ones; plain rm keeps both.
func TestAnonymousVolumesGoWithRmV(t *testing.T) {
	d := startDaemon(t)
	d.tug("run", "--rm", "--network", "none", "-v", "/anon", "-v", "named:/n", "bb", "true")
	if v := d.volumes(); !slices.Equal(v, []string{"named"}) {
		t.Fatalf("after run --rm: %v, want [named]", v)
	}
	id := d.tug("create", "--network", "none", "-v", "/anon", "-v", "named:/n", "bb", "true")
	if n := len(d.volumes()); n != 2 {
		t.Fatalf("volumes = %v, want an anonymous one and named", d.volumes())
	}
	d.tug("rm", "-v", id)
	if v := d.volumes(); !slices.Equal(v, []string{"named"}) {
		t.Fatalf("after rm -v: %v, want [named]", v)
	}
	d.tug("volume", "rm", "named")
}

// A named volume's data survives a tugd restart and a SIGKILL of tugd
// while a container writes to it; the running container keeps the volume
// in use across both.
func TestVolumeSurvivesDaemonRestartAndKill(t *testing.T) {
	d := startDaemon(t)
	d.tug("run", "--rm", "--network", "none", "-v", "keep:/data", "bb", "sh", "-c", "echo one > /data/f")
	d.Stop()
	d.Start()
	if got := d.tug("run", "--rm", "--network", "none", "-v", "keep:/data", "bb", "cat", "/data/f"); got != "one" {
		t.Fatalf("after restart: %q", got)
	}
	id := d.tug("run", "-d", "--network", "none", "-v", "keep:/data", "bb", "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /data/n; sleep 0.05; done")
	d.Kill()
	d.Start()
	d.fails("volume is in use", "volume", "rm", "keep")
	read := func() string {
		return d.tug("run", "--rm", "--network", "none", "-v", "keep:/data", "bb", "cat", "/data/n")
	}
	first := read()
	testutil.Eventually(t, 10*time.Second, func() bool { return read() != first })
	d.tug("rm", "-f", id)
	if got := read(); got == "" {
		t.Fatalf("no data after the writer went")
	}
	d.tug("volume", "rm", "keep")
}
