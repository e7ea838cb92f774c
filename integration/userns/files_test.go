package userns

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Files a remapped container writes, in its layer and in a named volume,
// are owned by the subordinate IDs on the host; the image's own files
// keep their owners inside (the layers are id-mapped, not copied), and
// cp, export and commit give the container's IDs back.
func TestFilesOfRemappedContainers(t *testing.T) {
	d, subuid, subgid := startRemapped(t)
	tug := d.CLIs()[0]
	// An image with a file owned by 1000 (COPY runs no container).
	ctx := t.TempDir()
	if err := os.WriteFile(filepath.Join(ctx, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM busybox\nCOPY --chown=1000:1000 f /home/tester/f\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, tug, "build", "-q", "-t", "owned", ctx)

	out := ok(t, tug, "run", "--name", "ctr", "-v", "vol:/data", "owned", "sh", "-c",
		"stat -c '%u:%g' /home/tester/f; touch /layer-file /data/volume-file; chown 1000:1000 /data/volume-file; stat -c '%u:%g' /layer-file")
	if out != "1000:1000\n0:0" {
		t.Errorf("owners inside = %q, want the image's 1000:1000 and root's 0:0", out)
	}
	id := ok(t, tug, "inspect", "-f", "{{.Id}}", "ctr")
	for _, tc := range []struct {
		path     string
		uid, gid int
	}{
		{filepath.Join(d.Root, "overlay", "containers", id, "upper", "layer-file"), subuid, subgid},
		{filepath.Join(d.Root, "volumes", "vol", "_data", "volume-file"), subuid + 1000, subgid + 1000},
		{filepath.Join(d.Root, "volumes", "vol", "_data"), subuid, subgid},
	} {
		if uid, gid := owner(t, tc.path); uid != tc.uid || gid != tc.gid {
			t.Errorf("%s on the host: %d:%d, want %d:%d", tc.path, uid, gid, tc.uid, tc.gid)
		}
	}
	// The layer under the image is unchanged: shared with containers that
	// are not remapped.
	if out := ok(t, tug, "run", "--rm", "--userns", "host", "owned", "stat", "-c", "%u:%g", "/home/tester/f", "/bin/busybox"); out != "1000:1000\n0:0" {
		t.Errorf("owners with --userns host = %q", out)
	}

	// cp and export: the container's IDs.
	owners := func(tarball []byte) map[string]string {
		m := map[string]string{}
		tr := tar.NewReader(bytes.NewReader(tarball))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return m
			}
			if err != nil {
				t.Fatal(err)
			}
			m[strings.TrimPrefix(h.Name, "./")] = strconv.Itoa(h.Uid) + ":" + strconv.Itoa(h.Gid)
		}
	}
	r := d.Tug("cp", "ctr:/layer-file", "-")
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	if got := owners([]byte(r.Stdout))["layer-file"]; got != "0:0" {
		t.Errorf("cp out: layer-file owned by %q, want 0:0", got)
	}
	r = d.Tug("export", "ctr")
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	exp := owners([]byte(r.Stdout))
	if exp["layer-file"] != "0:0" || exp["home/tester/f"] != "1000:1000" {
		t.Errorf("export: layer-file %q, home/tester/f %q; want 0:0 and 1000:1000", exp["layer-file"], exp["home/tester/f"])
	}
	// cp in: owned by the container's root inside.
	src := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(src, []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, tug, "cp", src, "ctr:/in")
	if uid, _ := owner(t, filepath.Join(d.Root, "overlay", "containers", id, "upper", "in")); uid != subuid {
		t.Errorf("cp in: host owner %d, want %d", uid, subuid)
	}
	// commit: the new layer carries the container's IDs.
	ok(t, tug, "commit", "ctr", "committed")
	if out := ok(t, tug, "run", "--rm", "--userns", "host", "committed", "stat", "-c", "%u:%g", "/layer-file", "/in"); out != "0:0\n0:0" {
		t.Errorf("committed layer owners = %q, want 0:0", out)
	}
	ok(t, tug, "rm", "-v", "ctr")
}
