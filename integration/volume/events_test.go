package volume

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// Volumes send Docker's events: create, mount, unmount, destroy, prune.
func TestVolumeEvents(t *testing.T) {
	d := startDaemon(t)
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	d.tug("run", "--rm", "--network", "none", "-v", "ev:/data", "bb", "true")
	d.tug("volume", "rm", "ev")
	d.tug("volume", "prune", "-f")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res := d.Client.Events(ctx, client.EventsListOptions{Since: since, Filters: make(client.Filters).Add("type", "volume")})
	want := "create:ev mount:ev unmount:ev destroy:ev prune:"
	var got []string
	for len(got) < 5 {
		select {
		case m := <-res.Messages:
			got = append(got, string(m.Action)+":"+m.Actor.ID)
		case err := <-res.Err:
			t.Fatalf("events: %v (so far %v)", err, got)
		case <-ctx.Done():
			t.Fatalf("volume events = %v, want %s", got, want)
		}
	}
	if strings.Join(got, " ") != want {
		t.Fatalf("volume events = %v, want %s", got, want)
	}
}
