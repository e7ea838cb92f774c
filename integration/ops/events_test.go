package ops

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// The actions of containers, images and networks are announced, and
// --since/--until/--filter/--format select them.
func TestEventsOfEachAction(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	since := nowString()
	time.Sleep(10 * time.Millisecond) // deliberate: events strictly after since
	must(t, d, "network", "create", "evnet")
	must(t, d, "create", "--name", "ev", "--network", "evnet", "busybox", "sleep", "1000")
	must(t, d, "start", "ev")
	must(t, d, "network", "disconnect", "evnet", "ev")
	must(t, d, "network", "connect", "evnet", "ev")
	must(t, d, "exec", "ev", "true")
	must(t, d, "pause", "ev")
	must(t, d, "unpause", "ev")
	must(t, d, "rename", "ev", "ev2")
	must(t, d, "update", "--memory", "64m", "ev2")
	must(t, d, "commit", "ev2", "evimg")
	must(t, d, "export", "-o", filepath.Join(t.TempDir(), "x.tar"), "ev2")
	must(t, d, "kill", "-s", "SIGUSR1", "ev2")
	must(t, d, "stop", "-t", "0", "ev2")
	must(t, d, "rm", "ev2")
	must(t, d, "tag", "evimg", "evimg:two")
	tarPath := filepath.Join(t.TempDir(), "img.tar")
	must(t, d, "save", "-o", tarPath, "evimg")
	must(t, d, "load", "-i", tarPath)
	must(t, d, "rmi", "evimg:two")
	must(t, d, "rmi", "evimg")
	must(t, d, "container", "prune", "-f")
	must(t, d, "image", "prune", "-f")
	must(t, d, "network", "rm", "evnet")
	must(t, d, "network", "prune", "-f")
	until := nowString()

	all := must(t, d, "events", "--since", since, "--until", until, "--format", "{{.Type}} {{.Action}}") + "\n"
	for _, want := range []string{
		"container create", "container start", "container exec_create: true", "container exec_start: true", "container exec_die",
		"container pause", "container unpause", "container rename", "container update", "container commit", "container export",
		"container kill", "container die", "container stop", "container destroy", "container prune",
		"image tag", "image save", "image load", "image untag", "image delete", "image prune",
		"network create", "network connect", "network disconnect", "network destroy", "network prune",
	} {
		if !strings.Contains(all, want+"\n") {
			t.Errorf("no %q event in:\n%s", want, all)
		}
	}
	// Filters, through docker.
	r := d.Docker("events", "--since", since, "--until", until, "--filter", "type=network", "--filter", "event=connect", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "connect evnet" {
		t.Errorf("docker events --filter type=network --filter event=connect: %s", r)
	}
	r = d.Docker("events", "--since", since, "--until", until, "--filter", "container=ev2", "--filter", "event=die", "--format", "{{.Action}}")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "die" {
		t.Errorf("docker events --filter container=ev2 --filter event=die: %s", r)
	}
	// --until before everything: nothing.
	if out := must(t, d, "events", "--since", "1h", "--until", since); strings.Contains(out, "network create") {
		t.Errorf("events until before the actions = %q", out)
	}
}
