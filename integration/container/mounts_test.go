package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

func TestBindAndTmpfsMounts(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "in"), []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := d.Tug("run", "--rm", "-v", host+":/data", "busybox", "sh", "-c", "cat /data/in; echo from container > /data/out")
	if r.ExitCode != 0 || r.Stdout != "from host\n" {
		t.Fatalf("run -v: %s", r)
	}
	if b, err := os.ReadFile(filepath.Join(host, "out")); err != nil || string(b) != "from container\n" {
		t.Errorf("file written through the bind = %q, %v", b, err)
	}
	r = d.Tug("run", "--rm", "-v", host+":/data:ro", "busybox", "sh", "-c", "echo x > /data/nope")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Errorf("write to a :ro bind: %s", r)
	}
	missing := filepath.Join(t.TempDir(), "made", "by", "tugd")
	if r := d.Tug("run", "--rm", "-v", missing+":/m", "busybox", "true"); r.ExitCode != 0 {
		t.Errorf("bind of a missing source: %s", r)
	}
	if st, err := os.Stat(missing); err != nil || !st.IsDir() {
		t.Errorf("missing bind source not created as a directory: %v", err)
	}
	r = d.Tug("run", "--rm", "--tmpfs", "/scratch:size=1m", "busybox", "sh", "-c", "grep ' /scratch ' /proc/mounts")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "tmpfs /scratch tmpfs") {
		t.Errorf("--tmpfs: %s", r)
	}
	d.Tug("create", "--name", "withbind", "-v", host+":/data:ro", "busybox", "true")
	r = d.Tug("inspect", "--format", "{{range .Mounts}}{{.Type}} {{.Source}} {{.Destination}} {{.RW}}{{end}}", "withbind")
	if strings.TrimSpace(r.Stdout) != "bind "+host+" /data false" {
		t.Errorf("inspect Mounts = %q", r.Stdout)
	}
	// Named volumes work now (integration/volume); a bad name is refused.
	for _, bad := range []string{"bad/name:/data", host + ":relative", host + ":/data:bogus"} {
		r := d.Tug("run", "--rm", "-v", bad, "busybox", "true")
		if r.ExitCode != 125 || !strings.Contains(r.Stderr, "invalid") {
			t.Errorf("run -v %s: %s", bad, r)
		}
	}
	if r := d.Docker("run", "--rm", "-v", host+":/data", "busybox", "cat", "/data/in"); r.Stdout != "from host\n" {
		t.Errorf("docker run -v: %s", r)
	}
}
