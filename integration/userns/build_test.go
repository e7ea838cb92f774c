package userns

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Build steps run remapped, as in Docker, and the layers they make carry
// the container's IDs, not the host's.
func TestBuildRunsRemapped(t *testing.T) {
	d, subuid, _ := startRemapped(t)
	ctx := t.TempDir()
	df := "FROM busybox\n" +
		"RUN cat /proc/self/uid_map > /uid_map && touch /by-root && mkdir /by-tester && chown 1000:1000 /by-tester\n" +
		"VOLUME /vol\n" +
		"RUN touch /vol/x\n"
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cli := range d.CLIs() {
		ok(t, cli, "build", "-q", "--no-cache", "-t", "built-"+cli.Name, ctx)
		out := ok(t, cli, "run", "--rm", "--userns", "host", "built-"+cli.Name, "sh", "-c",
			"cat /uid_map | tr -s ' ' | sed 's/^ //'; stat -c '%u:%g' /by-root /by-tester")
		want := "0 " + strconv.Itoa(subuid) + " 65536\n0:0\n1000:1000"
		if out != want {
			t.Errorf("%s build: %q, want %q", cli.Name, out, want)
		}
	}
}
