package volume

import (
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

type vdaemon struct {
	*testutil.Daemon
	t *testing.T
}

// startDaemon starts tugd with the busybox image as "bb"; at the end every
// volume must be removable (no reference leaks).
func startDaemon(t *testing.T) *vdaemon {
	t.Helper()
	d := testutil.StartDaemon(t)
	d.ImportBusybox("bb")
	return &vdaemon{Daemon: d, t: t}
}

// tug runs the CLI and fails the test unless it exits 0.
func (d *vdaemon) tug(args ...string) string {
	d.t.Helper()
	r := d.Tug(args...)
	if r.ExitCode != 0 {
		d.t.Fatalf("tug %s: %s", strings.Join(args, " "), r)
	}
	return strings.TrimSpace(r.Stdout)
}

// fails runs the CLI, wants a non-zero exit and want in its stderr.
func (d *vdaemon) fails(want string, args ...string) testutil.Result {
	d.t.Helper()
	r := d.Tug(args...)
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, want) {
		d.t.Fatalf("tug %s = %s; want a failure saying %q", strings.Join(args, " "), r, want)
	}
	return r
}

// volumes lists the volume names.
func (d *vdaemon) volumes() []string {
	d.t.Helper()
	res, err := d.Client.VolumeList(d.t.Context(), client.VolumeListOptions{})
	if err != nil {
		d.t.Fatal(err)
	}
	var names []string
	for _, v := range res.Items {
		names = append(names, v.Name)
	}
	return names
}

// containers counts the containers, running or not.
func (d *vdaemon) containers() int {
	d.t.Helper()
	res, err := d.Client.ContainerList(d.t.Context(), client.ContainerListOptions{All: true})
	if err != nil {
		d.t.Fatal(err)
	}
	return len(res.Items)
}
