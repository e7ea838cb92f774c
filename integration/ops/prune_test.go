package ops

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// Every prune removes what is unused and keeps what is in use.
func TestPruneKeepsWhatIsInUse(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	must(t, d, "run", "-d", "--name", "running", "busybox", "sleep", "1000")
	must(t, d, "run", "--name", "stopped", "--label", "keep=yes", "busybox", "true")
	must(t, d, "run", "--name", "gone", "busybox", "sh", "-c", "echo 12345 > /f")
	must(t, d, "create", "--name", "created", "busybox", "true")

	out := must(t, d, "container", "prune", "-f", "--filter", "label!=keep")
	if !strings.Contains(out, "Deleted Containers:") || !strings.Contains(out, "Total reclaimed space:") {
		t.Errorf("container prune output = %q", out)
	}
	names := must(t, d, "ps", "-a", "--format", "{{.Names}}")
	if names != "stopped\nrunning" && names != "running\nstopped" {
		t.Errorf("after container prune: %q, want running and the labelled stopped one", names)
	}
	// until in the future-past: nothing created before an hour ago.
	if out := must(t, d, "container", "prune", "-f", "--filter", "until=1h"); out != "Total reclaimed space: 0B" {
		t.Errorf("prune until=1h = %q", out)
	}
	rep, err := d.Client.ContainerPrune(context.Background(), client.ContainerPruneOptions{})
	if err != nil || len(rep.Report.ContainersDeleted) != 1 {
		t.Errorf("API container prune = %+v, %v", rep, err)
	}

	// Images: a dangling one goes, a used one (and busybox) stays; -a removes unused tagged ones.
	dir := t.TempDir()
	writeFile(t, dir+"/Dockerfile", "FROM busybox\nRUN echo a > /a\n")
	must(t, d, "build", "-q", "-t", "dangle", dir)
	writeFile(t, dir+"/Dockerfile", "FROM busybox\nRUN echo b > /b\n")
	must(t, d, "build", "-q", "-t", "unused", dir)
	must(t, d, "tag", "unused", "dangle") // the old dangle is now untagged
	out = must(t, d, "image", "prune", "-f")
	if !strings.Contains(out, "deleted: sha256:") {
		t.Errorf("image prune = %q", out)
	}
	if imgs := must(t, d, "images", "--format", "{{.Repository}}"); strings.Contains(imgs, "<none>") || !strings.Contains(imgs, "unused") {
		t.Errorf("after image prune: %q", imgs)
	}
	if r := d.Docker("image", "prune", "-a", "-f"); r.ExitCode != 0 {
		t.Fatalf("docker image prune -a: %s", r)
	}
	if imgs := must(t, d, "images", "--format", "{{.Repository}}"); imgs != "busybox" {
		t.Errorf("after image prune -a: %q, want busybox (used by containers)", imgs)
	}

	// Networks: one in use stays.
	must(t, d, "network", "create", "usednet")
	must(t, d, "network", "create", "--label", "x=1", "idlenet")
	must(t, d, "run", "-d", "--name", "onnet", "--network", "usednet", "busybox", "sleep", "1000")
	must(t, d, "network", "prune", "-f", "--filter", "label=x=1")
	if nets := must(t, d, "network", "ls", "--format", "{{.Name}}"); strings.Contains(nets, "idlenet") || !strings.Contains(nets, "usednet") {
		t.Errorf("after network prune: %q", nets)
	}

	// system prune --volumes: stopped containers go, then the anonymous
	// volumes they left; a named volume stays.
	must(t, d, "run", "--name", "anon", "--network", "none", "-v", "/data", "busybox", "true")
	must(t, d, "volume", "create", "keepme")
	must(t, d, "stop", "-t", "0", "running")
	out = must(t, d, "system", "prune", "-a", "-f", "--volumes")
	if !strings.Contains(out, "Deleted Containers:") || !strings.Contains(out, "Deleted Volumes:") || !strings.Contains(out, "Total reclaimed space:") {
		t.Errorf("system prune = %q", out)
	}
	if vols := must(t, d, "volume", "ls", "--format", "{{.Name}}"); vols != "keepme" {
		t.Errorf("after system prune --volumes: volumes %q, want only the named keepme", vols)
	}
	if names := must(t, d, "ps", "-a", "--format", "{{.Names}}"); names != "onnet" {
		t.Errorf("after system prune: %q, want only the running container", names)
	}
	if nets := must(t, d, "network", "ls", "--format", "{{.Name}}"); !strings.Contains(nets, "usednet") {
		t.Errorf("system prune removed a network in use: %q", nets)
	}
	ev := must(t, d, "events", "--since", "1h", "--until", nowString(), "--filter", "event=prune", "--format", "{{.Type}}")
	for _, typ := range []string{"container", "image", "network"} {
		if !strings.Contains(ev, typ) {
			t.Errorf("prune events %q lack %s", ev, typ)
		}
	}
}
