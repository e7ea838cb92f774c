package ops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// commit makes an image of the container's changes and -c changes;
// running it shows the committed files. With docker too.
func TestCommitThenRun(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	must(t, d, "run", "--name", "src", "busybox", "sh", "-c", "echo committed > /hello; rm /bin/true")
	id := must(t, d, "commit", "-a", "me", "-m", "a message", "-c", "CMD cat /hello", "-c", "ENV X=1", "src", "snap:v1")
	if !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("commit printed %q", id)
	}
	if out := must(t, d, "run", "--rm", "snap:v1"); out != "committed" {
		t.Errorf("run of the committed image = %q", out)
	}
	if out := d.Tug("run", "--rm", "snap:v1", "sh", "-c", "echo $X; ls /bin/true 2>&1").Stdout; !strings.HasPrefix(out, "1\n") || !strings.Contains(out, "No such file") {
		t.Errorf("env and deletion in the committed image: %q", out)
	}
	if s := inspect(d, "{{.Author}}|{{.Comment}}|{{len .RootFS.Layers}}", "snap:v1"); s != "me|a message|2" {
		t.Errorf("image = %q, want author, comment and one more layer", s)
	}
	// A running container, through docker, without pausing.
	must(t, d, "run", "-d", "--name", "live", "busybox", "sh", "-c", "echo live > /f; sleep 1000")
	testutil.Eventually(t, 10*time.Second, func() bool { return d.Tug("exec", "live", "cat", "/f").Stdout == "live\n" })
	if r := d.Docker("commit", "--pause=false", "live", "live:img"); r.ExitCode != 0 {
		t.Fatalf("docker commit: %s", r)
	}
	if out := must(t, d, "run", "--rm", "live:img", "cat", "/f"); out != "live" {
		t.Errorf("run of docker-committed image = %q", out)
	}
	if s := inspect(d, "{{.State.Status}}", "live"); s != "running" {
		t.Errorf("committed container is %s", s)
	}
}

// export writes the rootfs; import of that tar runs.
func TestExportThenImport(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	must(t, d, "run", "--name", "ex", "busybox", "sh", "-c", "echo exported > /marker")
	tarPath := filepath.Join(t.TempDir(), "rootfs.tar")
	must(t, d, "export", "-o", tarPath, "ex")
	f, err := os.Open(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := d.Tug("import", tarPath, "reimported")
	if r.ExitCode != 0 {
		t.Fatalf("import: %s", r)
	}
	if out := must(t, d, "run", "--rm", "reimported", "cat", "/marker"); out != "exported" {
		t.Errorf("run of the imported export = %q", out)
	}
	// docker export to stdout.
	out := d.Docker("export", "ex")
	if out.ExitCode != 0 || !strings.Contains(out.Stdout, "exported") {
		t.Errorf("docker export: exit %d, %d bytes", out.ExitCode, len(out.Stdout))
	}
	ev := must(t, d, "events", "--since", "1h", "--until", nowString(), "--filter", "event=export", "--format", "{{.Action}}")
	if !strings.Contains(ev, "export") {
		t.Errorf("export events = %q", ev)
	}
}
