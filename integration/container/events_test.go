package container

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// events --since/--until replays a container's life from create to
// destroy, filtered to it.
func TestEventsReplayContainerLifecycle(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	d.Tug("run", "--rm", "--name", "evt", "busybox", "true")
	until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	r := d.Tug("events", "--since", since, "--until", until, "--filter", "container=evt", "--format", "{{.Action}}")
	got := strings.Fields(r.Stdout)
	want := []string{"create", "attach", "start", "die", "destroy"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("events = %v, want %v (%s)", got, want, r)
	}
}
